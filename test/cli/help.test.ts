import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commands } from '../../bin/commands/index.js';
import { commandHelp } from '../../bin/help-text.js';
import { runCortex } from '../helpers/cli.js';

const tooWide = (text: string) => text.split('\n').filter((line) => [...line].length > 80);

describe('help and usage', () => {
  it('cortex alone prints the short help on stderr and exits 2', async () => {
    const result = await runCortex([]);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^usage: cortex \[OPTIONS\] COMMAND \[ARGUMENTS\.\.\.\]\n/);
    assert.match(result.stderr, /Run cortex help for what each command does/);
    assert.deepEqual(tooWide(result.stderr), []);
  });

  it("fits every line of the help, and of each command's help, in 80 columns", async () => {
    const full = await runCortex(['help']);
    assert.equal(full.code, 0);
    assert.deepEqual(tooWide(full.stdout), []);
    for (const command of commands) {
      assert.match(full.stdout, new RegExp(`^  cortex ${command.name}\\b`, 'm'), `${command.name} is listed`);
      // Each command's own help as `cortex CMD --help` prints it (checked below, for one, to be so).
      assert.deepEqual(tooWide(commandHelp(command)), [], command.name);
    }
    const one = await runCortex(['daemon', '--help']);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(one.stdout, commandHelp(commands.find((command) => command.name === 'daemon')!));
    assert.equal((await runCortex(['help', 'daemon'])).stdout, one.stdout);
  });

  it('refuses arguments a command does not take, rather than ignore them', async () => {
    const cases: [string[], string][] = [
      [
        ['get', 't', 'k', 'extra'],
        'cortex get: There is one argument too many, "extra" (usage: cortex get TABLE KEY).',
      ],
      [['status', 'now'], 'cortex status: There is one argument too many, "now" (usage: cortex status [--json]).'],
      [['tables', 'x'], 'cortex tables: There is one argument too many, "x" (usage: cortex tables [--json]).'],
      [
        ['drop_table', 'a', 'b'],
        'cortex drop_table: There is one argument too many, "b" (usage: cortex drop_table NAME).',
      ],
    ];
    for (const [args, message] of cases) {
      const result = await runCortex(['--home', '/nonexistent-cortex-home', ...args]);
      assert.equal(result.code, 2, args.join(' '));
      assert.equal(result.stderr, `${message}\n`);
    }
    const session = await runCortex(['--home', '/nonexistent-cortex-home', 'session', 'show', 's_abcdefgh', 'more']);
    assert.equal(session.code, 2);
    assert.match(session.stderr, /one argument too many, "more"/);
  });
});
