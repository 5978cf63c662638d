import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCortex } from '../helpers/cli.js';
import { tempDir } from '../helpers/daemon.js';

/**
 * `cortex --ssh HOST` runs ssh with HOST on its command line. The attack: a
 * "host" that is an ssh option, `-oProxyCommand=CMD`, makes ssh run CMD on this
 * machine (a link or a script handing a user-chosen host to cortex). The host
 * must never reach ssh as an option: refused when it starts with `-`, and put
 * after `--` always.
 */
describe('--ssh keeps its host apart from ssh options', () => {
  const dir = tempDir('cortex-ssh-host-');
  const owned = join(dir.path, 'owned');
  const recorded = join(dir.path, 'argv');
  // Stands in for ssh: records its arguments, one a line, and fails as an unreachable host would.
  const fakeSsh = join(dir.path, 'fake-ssh');

  before(() => {
    writeFileSync(fakeSsh, `#!/bin/sh\nprintf '%s\\n' "$@" > "${recorded}"\nexit 255\n`);
    chmodSync(fakeSsh, 0o755);
  });
  after(() => dir.remove());

  it('runs nothing for an option-shaped host, given to the real ssh', async () => {
    for (const [args, env] of [
      [[`--ssh=-oProxyCommand=touch ${owned}`, 'ping'], {}],
      [['ping'], { CORTEX_SSH_HOST: `-oProxyCommand=touch ${owned}` }],
    ] as const) {
      const result = await runCortex([...args], { env });
      assert.equal(result.code, 2, result.stderr);
      assert.match(
        result.stderr,
        /--ssh takes a host \(\[user@\]host\), not "-oProxyCommand=touch .*": a host may not start with "-"/,
      );
      assert.equal(existsSync(owned), false, 'the proxy command ran');
    }
  });

  it('never starts ssh for an option-shaped host, and passes a host after --', async () => {
    const refused = await runCortex(['--ssh=-oProxyCommand=touch owned', 'ping'], { env: { CORTEX_SSH: fakeSsh } });
    assert.equal(existsSync(recorded), false, 'ssh was started');
    assert.equal(refused.code, 2);

    const tried = await runCortex(['--ssh', 'alice@devbox', 'ping'], { env: { CORTEX_SSH: fakeSsh } });
    assert.equal(tried.code, 7, tried.stderr);
    assert.deepEqual(readFileSync(recorded, 'utf8').trim().split('\n'), ['--', 'alice@devbox', 'cortex', 'bridge']);
  });
});
