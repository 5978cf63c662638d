// The package's install script: builds the N-API addon in daemon/native (it reads a Unix socket
// caller's uid, SO_PEERCRED), which the daemon needs to know who is calling.
//
// Two rules. A working addon is never deleted: `node-gyp rebuild` starts by removing the build
// directory, so a rebuild that then failed (no headers reachable, say) left no addon at all;
// here the addon is built in a scratch copy and replaces the old one only once it loads. And a
// failure is loud: install fails with a sentence saying what is missing, instead of carrying on
// with no addon. An addon built from the same sources for the same Node ABI is not rebuilt.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

const SOURCES = ['binding.gyp', 'cortex_native.c'];
const native = fileURLToPath(new URL('../daemon/native/', import.meta.url));
const release = join(native, 'build', 'Release');
const addon = join(release, 'cortex_native.node');
const stampFile = join(release, 'cortex_native.stamp');

const stamp = [
  `node ABI ${process.versions.modules} ${process.platform}-${process.arch}`,
  ...SOURCES.map(
    (file) =>
      `${file} ${createHash('sha256')
        .update(readFileSync(join(native, file)))
        .digest('hex')}`,
  ),
].join('\n');

if (isCurrent()) process.exit(0);
const missing = whatIsMissing();
if (missing !== undefined) fail(missing);
build();

function isCurrent() {
  try {
    return readFileSync(stampFile, 'utf8') === stamp && loads(addon);
  } catch {
    return false;
  }
}

function loads(path) {
  try {
    createRequire(import.meta.url)(path);
    return true;
  } catch {
    return false;
  }
}

/** What a build needs that is not here, as words for people; undefined when all of it is. */
function whatIsMissing() {
  const compiler = process.env.CC ?? 'cc';
  if (!onPath(compiler)) return `a C compiler (${compiler}; on Debian, apt-get install build-essential)`;
  if (!onPath('make')) return 'make (on Debian, apt-get install build-essential)';
  if (!onPath(process.env.PYTHON ?? 'python3')) return 'Python 3, which node-gyp runs (apt-get install python3)';
  if (nodeGyp() === undefined) return 'node-gyp (npm brings it; run this through npm install)';
  return undefined;
}

function onPath(command) {
  if (isAbsolute(command)) return existsSync(command);
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, command)));
}

/** npm tells its scripts where its node-gyp is; outside npm, one on PATH. */
function nodeGyp() {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm !== undefined && existsSync(fromNpm)) return [process.execPath, fromNpm];
  return onPath('node-gyp') ? ['node-gyp'] : undefined;
}

function build() {
  const scratch = mkdtempSync(join(tmpdir(), 'cortex-addon-'));
  try {
    for (const file of SOURCES) copyFileSync(join(native, file), join(scratch, file));
    const [command, ...args] = nodeGyp();
    const result = spawnSync(command, [...args, 'rebuild', `--directory=${scratch}`], {
      encoding: 'utf8',
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    process.stderr.write(result.stderr ?? '');
    const built = join(scratch, 'build', 'Release', 'cortex_native.node');
    if (result.status !== 0 || !existsSync(built)) fail(`a successful node-gyp build (${reason(result)})`);
    if (!loads(built)) fail('an addon that loads in this Node (the one built does not)');
    mkdirSync(release, { recursive: true });
    // A new file renamed over the old: a daemon running with the old one mapped keeps its copy.
    copyFileSync(built, `${addon}.new`);
    renameSync(`${addon}.new`, addon);
    writeFileSync(stampFile, stamp);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** node-gyp's own last words, and the one cause worth naming: headers it could not download. */
function reason(result) {
  const text = `${result.error?.message ?? ''}\n${result.stderr ?? ''}`;
  if (/ENOTFOUND|EAI_AGAIN|ENETUNREACH|ECONNREFUSED|ETIMEDOUT/.test(text)) {
    return 'it could not download the Node.js headers: set npm_config_nodedir to a Node source or header directory';
  }
  const last = text
    .trim()
    .split('\n')
    .filter((line) => /ERR!|error/i.test(line))
    .pop();
  return last?.replace(/^gyp ERR!\s*/, '').trim() || `it exited with ${result.status ?? result.signal}`;
}

function fail(missing) {
  const kept = existsSync(addon) ? ' The addon built before is left as it was.' : '';
  process.stderr.write(
    `cortex: the native addon (daemon/native) cannot be built: it needs ${missing}. ` +
      `Without it the daemon cannot tell who calls it on its socket.${kept}\n`,
  );
  process.exit(1);
}
