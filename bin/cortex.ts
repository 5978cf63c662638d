#!/usr/bin/env node
import { runCli } from './cli.js';
import { endQuietlyWhenClosed } from './closed-output.js';

// No top-level await: the shipped CLI is a CommonJS bundle (see scripts/bundle-cli.mjs).
endQuietlyWhenClosed(process.stdout, process.stderr, (code) => process.exit(code));
void runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
}).then((code) => {
  process.exitCode = code;
});
