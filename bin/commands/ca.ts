import { hostname } from 'node:os';
import { CortexError } from '../../src/protocol/errors.js';
import { daemonPaths } from '../../src/paths.js';
import { IDENTITY_NAME } from '../../src/protocol/access-types.js';
import { type Command, line } from '../context.js';
import { required } from '../parse-input.js';

export const caCommand: Command = {
  name: 'ca',
  maxArgs: { init: 1, issue: 2 },
  usage: 'ca init | ca issue node [--name N] [--host H,...] | ca issue client --name N',
  summary: "Manage this node's certificate authority (files in the config directory; keys 0600).",
  options: { name: { type: 'string' }, host: { type: 'string', multiple: true } },
  async run(context, args, options) {
    // Loaded here: the X.509 library is only needed by these commands.
    const ca = await import('../../daemon/tls/certificate-authority.js');
    const { configDir } = daemonPaths(context.global, context.env);
    const verb = required(args, 0, 'init or issue');
    if (verb === 'init') {
      const files = await ca.initCa(configDir);
      line(context.stdout, `created CA ${files.cert} (key ${files.key})`);
      return;
    }
    if (verb !== 'issue') throw new CortexError('EINVAL', `ca takes init or issue, not ${JSON.stringify(verb)}.`);
    const kind = required(args, 1, 'node or client');
    if (kind !== 'node' && kind !== 'client') {
      throw new CortexError('EINVAL', `ca issue takes node or client, not ${JSON.stringify(kind)}.`);
    }
    const name = (options['name'] as string | undefined) ?? (kind === 'node' ? hostname().split('.')[0] : undefined);
    if (name === undefined || !IDENTITY_NAME.test(name)) {
      throw new CortexError(
        'EINVAL',
        `ca issue ${kind} needs --name with a valid identity (letters, digits, _ . @ : -).`,
      );
    }
    const hosts = ((options['host'] as string[] | undefined) ?? []).flatMap((item) => item.split(','));
    const files = await ca.issueToFiles(configDir, { commonName: name, kind, hosts });
    line(context.stdout, `issued ${kind} certificate ${files.cert} (key ${files.key})`);
  },
};
