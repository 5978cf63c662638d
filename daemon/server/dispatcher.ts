import { CortexError, type WireError } from '../../src/protocol/errors.js';
import { parseRequest, type Request } from '../../src/protocol/messages.js';
import { isMethodName, type MethodName, methods } from '../../src/protocol/methods.js';
import type { MsgValue } from '../../src/protocol/msgpack-types.js';
import type { Handler, HandlerTable } from '../handlers/types.js';
import type { Logger } from '../logger.js';
import type { Connection, MessageSink } from './connection.js';

/** What a TCP client may call before it has authenticated. */
const OPEN_BEFORE_AUTH: ReadonlySet<string> = new Set(['ping', 'auth']);

/**
 * Turns each message into a call: checks its shape, finds the method in the
 * table, validates the params with the method's own parser, runs the handler
 * and answers. Every path answers exactly once, including handlers that throw.
 */
export class Dispatcher implements MessageSink {
  constructor(
    private readonly handlers: HandlerTable,
    private readonly log: Logger,
    private readonly onClose: (connection: Connection) => void,
  ) {}

  message(connection: Connection, message: MsgValue, peekedId: number | undefined): void {
    let request: Request;
    try {
      request = parseRequest(message);
    } catch (error) {
      connection.refuse(peekedId, this.toWire(error));
      return;
    }
    const { id, method } = request;
    if (!isMethodName(method)) {
      connection.respond(
        id,
        { code: 'ENOTFOUND', message: `There is no method named ${JSON.stringify(method)}.` },
        null,
      );
      return;
    }
    const { identity } = connection;
    if (identity.refusal !== undefined) {
      connection.respond(id, { code: 'EACCES', message: identity.refusal }, null);
      return;
    }
    if (identity.kind === 'anonymous' && !OPEN_BEFORE_AUTH.has(method)) {
      connection.respond(
        id,
        { code: 'EACCES', message: `Authenticate first: call auth {token} before ${method}.` },
        null,
      );
      return;
    }
    let result: unknown;
    try {
      result = this.call(method, request.params, connection);
    } catch (error) {
      connection.respond(id, this.toWire(error), null);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (value: unknown) => connection.respond(id, null, value),
        (error: unknown) => connection.respond(id, this.toWire(error), null),
      );
    } else {
      connection.respond(id, null, result);
    }
  }

  closed(connection: Connection): void {
    this.onClose(connection);
  }

  private call<M extends MethodName>(method: M, rawParams: Record<string, MsgValue>, connection: Connection): unknown {
    const params = methods[method].params(rawParams, 'params');
    const handler = this.handlers[method] as Handler<M>;
    return handler(params as Parameters<Handler<M>>[0], { identity: connection.identity, caller: connection });
  }

  private toWire(error: unknown): WireError {
    if (error instanceof CortexError) return error.toWire();
    this.log.error(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return { code: 'EINTERNAL', message: 'The daemon hit an internal error; its log has the details.' };
  }
}
