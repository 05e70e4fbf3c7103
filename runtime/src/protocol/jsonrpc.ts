/**
 * Binds the declared protocol (rpc.ts) to a vscode-jsonrpc connection, validating every message on arrival:
 * the server checks params before a handler runs and results before they leave; the client checks results.
 */
import { ResponseError, type CancellationToken, type MessageConnection } from 'vscode-jsonrpc';
import {
  notifications,
  requests,
  type NotificationName,
  type NotificationParams,
  type RequestInput,
  type RequestName,
  type RequestParams,
  type RequestResult,
} from './rpc';
import { clipMessage } from '../util/clip';
import { ErrorCodes } from './errors';
import { describeIssues } from './issues';

export { ErrorCodes } from './errors';

/** A handler gets the validated params and a signal that fires when the client cancels the request. */
export type Handlers = { [N in RequestName]?: (params: RequestParams<N>, signal: AbortSignal) => Promise<RequestResult<N>> };

/**
 * Serves the declared requests. One entry point for every method sees the params exactly as sent (vscode-jsonrpc
 * would spread a list into arguments), so that a list, an unknown method or a bad field each get an answer that names
 * it, and no input reaches a handler unchecked.
 */
export function serveProtocol(connection: MessageConnection, handlers: Handlers): void {
  connection.onRequest(async (method: string, raw: unknown, cancel: CancellationToken) => {
    const name = method as RequestName;
    const handler = Object.hasOwn(handlers, name) ? (handlers[name] as (params: unknown, signal: AbortSignal) => Promise<unknown>) : undefined;
    if (!handler) throw new ResponseError(ErrorCodes.MethodNotFound, clipMessage(`unknown method ${JSON.stringify(method)}`));
    if (Array.isArray(raw)) throw new ResponseError(ErrorCodes.InvalidParams, `invalid params for ${name}: params are named (an object), not a list`);
    const spec = requests[name];
    const params = spec.params.safeParse(raw ?? {});
    if (!params.success)
      throw new ResponseError(ErrorCodes.InvalidParams, clipMessage(`invalid params for ${name}: ${describeIssues(params.error.issues)}`));
    const controller = new AbortController();
    const subscription = cancel.onCancellationRequested(() => controller.abort());
    try {
      return spec.result.parse(await handler(params.data, controller.signal));
    } finally {
      subscription.dispose();
    }
  });
}

export async function sendRequest<N extends RequestName>(
  connection: MessageConnection,
  name: N,
  params: RequestInput<N>,
  cancel?: CancellationToken,
): Promise<RequestResult<N>> {
  // vscode-jsonrpc takes every extra argument as a parameter unless it is a token: pass one only when there is one.
  const raw = await (cancel ? connection.sendRequest(name, params, cancel) : connection.sendRequest(name, params));
  const checked = requests[name].result.safeParse(raw);
  if (!checked.success) throw new Error(`the runtime's answer to ${name} does not match the protocol: ${checked.error.message}`);
  return checked.data as RequestResult<N>;
}

export function sendNotification<N extends NotificationName>(connection: MessageConnection, name: N, params: NotificationParams<N>): void {
  void connection.sendNotification(name, notifications[name].parse(params));
}

export function onNotification<N extends NotificationName>(
  connection: MessageConnection,
  name: N,
  handler: (params: NotificationParams<N>) => void,
  onInvalid: (message: string) => void = () => {},
): void {
  connection.onNotification(name, (raw: unknown) => {
    const checked = notifications[name].safeParse(raw);
    if (checked.success) handler(checked.data as NotificationParams<N>);
    else onInvalid(`invalid ${name} notification: ${checked.error.message}`);
  });
}
