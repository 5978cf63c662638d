import { connect, type Socket } from 'node:net';
import { encode as referenceEncode } from '@msgpack/msgpack';
import { ERROR_CODES } from '../../src/protocol/errors.js';
import { FrameScanner } from '../../src/protocol/frame-scanner.js';
import { Decoder } from '../../src/protocol/msgpack-decode.js';
import type { MsgValue } from '../../src/protocol/msgpack-types.js';
import type { DaemonHandle } from '../helpers/daemon.js';

/** How long any single wait may take before the test fails instead of hanging. */
export const WAIT_MS = 15_000;

export interface RpcResponse {
  id: number;
  error: MsgValue;
  result: MsgValue;
}

export interface RpcNotification {
  method: string;
  params: MsgValue;
}

/**
 * Encodes a request with the independent @msgpack/msgpack encoder, so requests
 * do not depend on the encoder under test. Maps are encoded from their own keys,
 * so a `__proto__` own property goes out as a key.
 */
export function request(id: number, method: string, params: unknown): Buffer {
  return Buffer.from(referenceEncode([0, id, method, params], REFERENCE_OPTIONS));
}

/** Bigints as int64/uint64 and no depth limit of its own: the daemon is the one to judge depth. */
export const REFERENCE_OPTIONS = { useBigInt64: true, maxDepth: 100_000 } as const;

/**
 * A msgpack-rpc peer over a raw Unix socket: the test writes whatever bytes it
 * likes and waits for specific answers (matched by msgid, in any order), for
 * notifications, or for the close. Every wait is bounded by WAIT_MS.
 */
export class RawClient {
  /** Every message received, in arrival order. */
  readonly received: MsgValue[] = [];
  /** Responses not yet taken by a waiter, by msgid (a list, to notice duplicates). */
  private readonly responses = new Map<number, RpcResponse[]>();
  private readonly notifications: RpcNotification[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly scanner = new FrameScanner();
  private readonly decoder = new Decoder();
  private partial: Buffer[] = [];
  bytesReceived = 0;
  isClosed = false;
  /** Set when the daemon sent bytes that are not valid msgpack-rpc. */
  garbage: Error | undefined;
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    // A reset from the daemon (it dropped us) is a close like any other for these tests.
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        this.wake();
        resolve();
      }),
    );
  }

  static open(path: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawClient(socket));
      });
      socket.once('error', reject);
    });
  }

  send(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  sendRequest(id: number, method: string, params: unknown): void {
    this.send(request(id, method, params));
  }

  /** Sends one request and waits for the response with its msgid. */
  call(id: number, method: string, params: unknown): Promise<RpcResponse> {
    this.sendRequest(id, method, params);
    return this.response(id);
  }

  /** Sends one request and returns its result, failing on an error response. */
  async ok(id: number, method: string, params: unknown): Promise<MsgValue> {
    const response = await this.call(id, method, params);
    if (response.error !== null) throw new Error(`${method} failed: ${JSON.stringify(response.error)}`);
    return response.result;
  }

  /** Waits for (and takes) the next response carrying `id`. */
  response(id: number): Promise<RpcResponse> {
    return this.until(() => {
      const list = this.responses.get(id);
      const first = list?.shift();
      if (list?.length === 0) this.responses.delete(id);
      return first;
    }, `the response to msgid ${id}`);
  }

  /** Waits for (and takes) the next notification. */
  notification(): Promise<RpcNotification> {
    return this.until(() => this.notifications.shift(), 'a notification');
  }

  /** The next notification already received, if there is one. */
  takeNotification(): RpcNotification | undefined {
    return this.notifications.shift();
  }

  /** Waits until `count` responses (taken or not) have arrived in total. */
  responseCount(count: number): Promise<void> {
    return this.until(
      () =>
        this.received.filter((message) => Array.isArray(message) && message[0] === 1).length >= count
          ? true
          : undefined,
      `${count} responses`,
    ).then(() => undefined);
  }

  /** Responses still untaken, by msgid. */
  pendingResponses(): Map<number, RpcResponse[]> {
    return this.responses;
  }

  /** Resolves when the daemon has closed the connection; fails after WAIT_MS. */
  waitClose(): Promise<void> {
    return bounded(this.closed, 'the connection to close');
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    this.bytesReceived += chunk.length;
    let offset = 0;
    try {
      while (offset < chunk.length) {
        const end = this.scanner.scan(chunk, offset);
        if (end === -1) {
          this.partial.push(Buffer.from(chunk.subarray(offset)));
          break;
        }
        let bytes = chunk.subarray(offset, end);
        if (this.partial.length > 0) {
          bytes = Buffer.concat([...this.partial, bytes]);
          this.partial = [];
        }
        this.accept(this.decoder.decode(bytes));
        offset = end;
      }
    } catch (error) {
      this.garbage = error instanceof Error ? error : new Error(String(error));
      this.socket.destroy();
    }
    this.wake();
  }

  private accept(message: MsgValue): void {
    this.received.push(message);
    if (!Array.isArray(message)) throw new Error(`the daemon sent a non-array message: ${show(message)}`);
    if (message[0] === 1 && message.length === 4 && typeof message[1] === 'number') {
      const response = { id: message[1], error: message[2]!, result: message[3]! };
      const list = this.responses.get(response.id) ?? [];
      list.push(response);
      this.responses.set(response.id, list);
    } else if (message[0] === 2 && message.length === 3 && typeof message[1] === 'string') {
      this.notifications.push({ method: message[1], params: message[2]! });
    } else {
      throw new Error(`the daemon sent a message that is not a response or notification: ${show(message)}`);
    }
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  private until<T>(take: () => T | undefined, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = (): void => {
        const value = take();
        if (value !== undefined) {
          done();
          resolve(value);
        } else if (this.garbage) {
          done();
          reject(new Error(`while waiting for ${what}, the daemon sent invalid data: ${this.garbage.message}`));
        } else if (this.isClosed) {
          done();
          reject(new Error(`the connection closed while waiting for ${what}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`));
      }, WAIT_MS);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }
}

/** Fails with a clear message when `promise` takes longer than WAIT_MS. */
export function bounded<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Retries `attempt` (each try waits for a real answer, e.g. an RPC) until it
 * returns true; fails after WAIT_MS. For states the daemon reaches on its own
 * events, such as noticing that a peer went away.
 */
export async function eventually(attempt: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await attempt())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** Resolves when the daemon's stderr has logged `text` more than `already` times. */
export function waitForLog(daemon: DaemonHandle, text: string, already: number): Promise<void> {
  const stderr = daemon.process.stderr;
  if (stderr === null) return Promise.reject(new Error('the daemon has no stderr pipe'));
  return bounded(
    new Promise<void>((resolve) => {
      const check = (): void => {
        if (countOccurrences(daemon.stderr(), text) > already) {
          stderr.off('data', check);
          resolve();
        }
      };
      stderr.on('data', check);
      // The helper's own listener may already have appended the line.
      setImmediate(check);
    }),
    `the daemon to log "${text}"`,
  );
}

export function countOccurrences(haystack: string, needle: string): number {
  let count = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + needle.length)) count++;
  return count;
}

/** The `code` of a wire error, checking that it has the `{code, message}` shape with a known code. */
export function errorCode(error: MsgValue): string {
  if (error === null || typeof error !== 'object' || Array.isArray(error) || error instanceof Uint8Array) {
    throw new Error(`expected an error map, got ${show(error)}`);
  }
  const { code, message } = error as Record<string, MsgValue>;
  if (typeof code !== 'string' || !(ERROR_CODES as readonly string[]).includes(code)) {
    throw new Error(`the error code ${show(code)} is not one of the stable codes`);
  }
  if (typeof message !== 'string' || message.length === 0) throw new Error(`the error ${show(error)} has no message`);
  return code;
}

/** A short printable form of a decoded value, for failure messages. */
export function show(value: unknown): string {
  try {
    const text = JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? `${item}n` : item));
    return text === undefined ? String(value) : text.length > 300 ? `${text.slice(0, 300)}...` : text;
  } catch {
    return String(value);
  }
}
