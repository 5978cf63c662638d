/** The npm package msgpack5rpc (MIT, by the author of Neovim's msgpack-rpc), which ships no types. */
declare module 'msgpack5rpc' {
  import { EventEmitter } from 'node:events';
  import type { Readable, Writable } from 'node:stream';

  /** One msgpack-rpc session over a pair of streams; emits 'notification' (method, params) and 'request'. */
  class Session extends EventEmitter {
    attach(writer: Writable, reader: Readable): void;
    detach(): void;
    request(method: string, args: unknown[], callback: (error: unknown, result: unknown) => void): void;
    notify(method: string, args: unknown[]): void;
  }
  export = Session;
}
