import { CortexError, type WireError } from '../../src/protocol/errors.js';
import { type MethodName, methods } from '../../src/protocol/methods.js';
import type { MsgValue } from '../../src/protocol/msgpack-types.js';
import { paramsParser } from '../../src/protocol/method-params.js';
import type { Handler, HandlerTable } from '../handlers/types.js';
import { ANSWERED, type Answer, type CallContext } from './caller.js';
import type { Identity } from '../identity/identity.js';
import type { Logger } from '../logger.js';
import type { Connection, MessageSink } from './connection.js';
import type { NotifyErrors } from './notify-errors.js';

/** What a TCP client may call before it has authenticated. */
const OPEN_BEFORE_AUTH: ReadonlySet<string> = new Set(['ping', 'auth']);

/** One method's way through: its params parsed by its parser, then its handler. */
interface Route {
  method: MethodName;
  needsAnswer: boolean;
  call(params: MsgValue, context: CallContext): unknown;
}

function routeOf<M extends MethodName>(method: M, handlers: HandlerTable): Route {
  const handler = handlers[method] as Handler<M>;
  const parse = paramsParser(method);
  return {
    method,
    needsAnswer: methods[method].needsAnswer,
    call: (params, context) => handler(parse(params), context),
  };
}

/**
 * Turns each message into a call: finds the method in the table, validates the
 * params (a map, or positional in the method's declared order) with the
 * method's own parser, runs the handler and answers. Every request is answered
 * exactly once, including when its handler throws. A notification runs the
 * method with no answer: a failure is logged and reported to the connection
 * only if it subscribed to `notify:errors`; a method whose answer is the point
 * (a read, `auth`, `subscribe`) is refused with a `protocol_error` notice.
 */
export class Dispatcher implements MessageSink {
  /** By method name, found with one look-up per message. */
  private readonly routes = new Map<string, Route>();

  constructor(
    handlers: HandlerTable,
    private readonly log: Logger,
    private readonly notifyErrors: NotifyErrors,
    private readonly onClose: (connection: Connection) => void,
  ) {
    for (const method of Object.keys(methods) as MethodName[]) this.routes.set(method, routeOf(method, handlers));
  }

  request(connection: Connection, id: number, method: string, params: MsgValue): void {
    const route = this.routes.get(method);
    if (route === undefined) {
      connection.respond(
        id,
        { code: 'ENOTFOUND', message: `There is no method named ${JSON.stringify(method)}.` },
        null,
      );
      return;
    }
    const locked = this.lockedOut(connection, route.method);
    if (locked !== undefined) {
      connection.respond(id, locked, null);
      return;
    }
    const call = new RequestCall(connection, id, this.toWire);
    let result: unknown;
    try {
      result = route.call(params, call);
    } catch (error) {
      call.reject(error);
      return;
    }
    if (result === ANSWERED) return;
    if (result instanceof Promise) {
      result.then(
        (value: unknown) => call.resolve(value),
        (error: unknown) => call.reject(error),
      );
    } else {
      call.resolve(result);
    }
  }

  notification(connection: Connection, method: string, params: MsgValue): void {
    const route = this.routes.get(method);
    if (route === undefined) {
      connection.refuse(undefined, {
        code: 'EPROTO',
        message: `There is no method named ${JSON.stringify(method)}: the notification did nothing.`,
      });
      return;
    }
    if (route.needsAnswer) {
      connection.refuse(undefined, {
        code: 'EPROTO',
        message: `${method} only makes sense with its answer: send it as a request [0, msgid, method, params], not as a notification.`,
      });
      return;
    }
    const locked = this.lockedOut(connection, route.method);
    if (locked !== undefined) {
      this.failed(connection, route.method, locked);
      return;
    }
    let result: unknown;
    try {
      result = route.call(params, { identity: connection.identity, caller: connection });
    } catch (error) {
      this.failed(connection, route.method, this.toWire(error));
      return;
    }
    if (result instanceof Promise)
      result.catch((error: unknown) => this.failed(connection, route.method, this.toWire(error)));
  }

  closed(connection: Connection): void {
    this.onClose(connection);
  }

  /** Why this connection may not call `method` yet, if it may not. */
  private lockedOut(connection: Connection, method: MethodName): WireError | undefined {
    const { identity } = connection;
    if (identity.refusal !== undefined) return { code: 'EACCES', message: identity.refusal };
    if (identity.kind !== 'anonymous' || OPEN_BEFORE_AUTH.has(method)) return undefined;
    return { code: 'EACCES', message: `Authenticate first: call auth {token} before ${method}.` };
  }

  /** A notification that failed: nobody waits for an answer, so the log says it, and a subscriber of notify:errors hears it. */
  private failed(connection: Connection, method: MethodName, error: WireError): void {
    this.log.info(`connection ${connection.id}: the notification ${method} failed: ${error.code} ${error.message}`);
    this.notifyErrors.report(connection, { method, error });
  }

  private readonly toWire = (error: unknown): WireError => {
    if (error instanceof CortexError) return error.toWire();
    this.log.error(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return { code: 'EINTERNAL', message: 'The daemon hit an internal error; its log has the details.' };
  };
}

/**
 * A request being handled: its context, and its answer, which a handler may give itself (a put's, when
 * the store has it durable) rather than through a promise the dispatcher reacts to.
 */
class RequestCall implements CallContext, Answer {
  readonly identity: Identity;

  constructor(
    readonly caller: Connection,
    private readonly id: number,
    private readonly toWire: (error: unknown) => WireError,
  ) {
    this.identity = caller.identity;
  }

  get answer(): Answer {
    return this;
  }

  resolve(result: unknown): void {
    this.caller.respond(this.id, null, result);
  }

  reject(error: unknown): void {
    this.caller.respond(this.id, this.toWire(error), null);
  }
}
