import { toJson } from '../../src/json-values.js';
import { type Command, line, withClient } from '../context.js';

export const pingCommand: Command = {
  name: 'ping',
  usage: 'ping',
  summary: 'Check that the daemon answers; prints the round trip time.',
  async run(context) {
    await withClient(context, async (client) => {
      const start = process.hrtime.bigint();
      await client.call('ping', {});
      const micros = Number(process.hrtime.bigint() - start) / 1000;
      line(context.stdout, context.global.json ? toJson({ pong: true, micros }) : `pong (${micros.toFixed(0)} µs)`);
    });
  },
};

export const statusCommand: Command = {
  name: 'status',
  usage: 'status [--json]',
  summary: 'Show the daemon: version, node, pid, uptime, paths, tables, connections, your identity.',
  async run(context) {
    const status = await withClient(context, (client) => client.call('status', {}));
    if (context.global.json) {
      line(context.stdout, toJson(status));
      return;
    }
    const rows: [string, string | number][] = [
      ['version', status.version],
      ['node', status.node],
      ['pid', status.pid],
      ['uptime', formatDuration(status.uptime_ms)],
      ['data', status.data_dir],
      ['socket', status.socket],
      ['listen', status.listen ?? '-'],
      ['mesh', status.mesh_listen ?? '-'],
      ['tables', status.tables],
      ['connections', status.connections],
      ['identity', status.identity],
    ];
    const certificate = status.certificate;
    if (certificate !== undefined && certificate !== null) {
      const end = new Date(certificate.not_after).toISOString().slice(0, 10);
      rows.push(['certificate', `${certificate.name}, expires ${end} (${certificate.days_left} days)`]);
      if (certificate.warning !== null) rows.push(['warning', certificate.warning]);
    }
    for (const [name, value] of rows) line(context.stdout, `${name.padEnd(12)}${value}`);
  },
};

function formatDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours}h ${minutes % 60}m` : `${Math.floor(hours / 24)}d ${hours % 24}h`;
}
