import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { CortexError } from '../../../../src/protocol/errors.js';
import type { ClientMethod, ClientRequests, RequestId } from './codex-protocol.js';

interface Pending {
  method: string;
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
}

/** A message from the app-server that is neither an answer of ours nor well formed. */
export interface IncomingRequest {
  id: RequestId;
  method: string;
  params: unknown;
}

/**
 * JSON-RPC 2.0 as the Codex app-server speaks it: no "jsonrpc" member, one JSON object per line, both sides
 * may send requests. Answers are matched to requests by id; an error answer rejects with a CortexError whose
 * message is the server's own. Once the stream ends (`close`), every request still waiting is rejected.
 */
export class JsonRpcLines {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closedWith: Error | undefined;
  private notificationHandler: (method: string, params: unknown) => void = () => undefined;
  private requestHandler: (request: IncomingRequest) => void = () => undefined;
  private malformedHandler: (line: string) => void = () => undefined;

  constructor(
    input: Readable,
    private readonly output: Writable,
  ) {
    createInterface({ input }).on('line', (line) => this.receive(line));
    // Writes after the process died fail with EPIPE; the exit is reported by whoever watches the process.
    output.on('error', () => undefined);
  }

  onNotification(handler: (method: string, params: unknown) => void): void {
    this.notificationHandler = handler;
  }

  onRequest(handler: (request: IncomingRequest) => void): void {
    this.requestHandler = handler;
  }

  onMalformed(handler: (line: string) => void): void {
    this.malformedHandler = handler;
  }

  request<M extends ClientMethod>(method: M, params: ClientRequests[M][0]): Promise<ClientRequests[M][1]> {
    if (this.closedWith !== undefined) return Promise.reject(this.closedWith);
    const id = this.nextId++;
    return new Promise<ClientRequests[M][1]>((resolve, reject) => {
      this.pending.set(id, { method, resolve: resolve as (result: unknown) => void, reject });
      this.send({ id, method, params });
    });
  }

  notify(method: string, params?: unknown): void {
    this.send(params === undefined ? { method } : { method, params });
  }

  respond(id: RequestId, result: unknown): void {
    this.send({ id, result });
  }

  respondError(id: RequestId, code: number, message: string): void {
    this.send({ id, error: { code, message } });
  }

  /** The stream ended: every request still waiting is rejected with `error`. */
  close(error: Error): void {
    this.closedWith ??= error;
    for (const pending of this.pending.values()) pending.reject(this.closedWith);
    this.pending.clear();
  }

  private send(message: Record<string, unknown>): void {
    if (this.closedWith === undefined) this.output.write(`${JSON.stringify(message)}\n`);
  }

  private receive(line: string): void {
    if (line.trim() === '') return;
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      return this.malformedHandler(line);
    }
    if (message === null || typeof message !== 'object' || Array.isArray(message)) return this.malformedHandler(line);
    const { id, method, params, result, error } = message as Record<string, unknown>;
    const hasId = typeof id === 'number' || typeof id === 'string';
    if (typeof method === 'string') {
      if (hasId) this.requestHandler({ id, method, params });
      else this.notificationHandler(method, params);
      return;
    }
    const pending = typeof id === 'number' ? this.pending.get(id) : undefined;
    if (pending === undefined) return this.malformedHandler(line);
    this.pending.delete(id as number);
    if (error !== undefined && error !== null) pending.reject(answerError(pending.method, error));
    else pending.resolve(result);
  }
}

function answerError(method: string, error: unknown): CortexError {
  const text =
    typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string'
      ? (error as { message: string }).message
      : JSON.stringify(error);
  return new CortexError('EINVAL', `Codex refused ${method}: ${text}`);
}
