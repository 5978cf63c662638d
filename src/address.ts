import { CortexError } from './protocol/errors.js';

/** Parses HOST:PORT (IPv6 as [::1]:PORT); port 0 asks the system for a free one. */
export function parseAddress(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) throw new CortexError('EINVAL', `${JSON.stringify(text)} is not HOST:PORT.`);
  return { host: match[1] ?? match[2]!, port };
}

/** Where a socket comes from, as logs name it: ADDRESS:PORT. */
export function peerOf(socket: { remoteAddress?: string | undefined; remotePort?: number | undefined }): string {
  return `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
}
