#!/usr/bin/env node
import { runCli } from './cli.js';
import { endQuietlyWhenClosed } from './closed-output.js';

endQuietlyWhenClosed(process.stdout, process.stderr, (code) => process.exit(code));
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
});
