/**
 * The server's input stream as JSON-RPC over stdio frames it (Content-Length headers, then a JSON body). A body that
 * is not JSON gets the parse error JSON-RPC prescribes (-32700, id null) and serving goes on: the framing still
 * holds. A broken header, or a message left incomplete for PARTIAL_MESSAGE_LIMIT_MS (a wrong Content-Length), means
 * the stream can no longer be trusted: the reason is logged and the process exits, so that the extension restarts it,
 * instead of hanging silently.
 */
import type { MessageReader, MessageWriter, ResponseMessage } from 'vscode-jsonrpc';
import type { Logger } from '../util/log';

export const PARSE_ERROR = -32700;
export const PARTIAL_MESSAGE_LIMIT_MS = 30_000;

export function guardInputStream(
  reader: MessageReader & { partialMessageTimeout?: number },
  writer: MessageWriter,
  log: Logger,
  exit: (code: number) => void,
): void {
  reader.partialMessageTimeout = PARTIAL_MESSAGE_LIMIT_MS;
  reader.onError((error) => {
    if (error instanceof SyntaxError) {
      log('warn', `a message whose body is not JSON was answered with a parse error: ${error.message}`);
      const answer: ResponseMessage = { jsonrpc: '2.0', id: null, error: { code: PARSE_ERROR, message: `Parse error: ${error.message}` } };
      void writer.write(answer);
      return;
    }
    log('error', `the input stream cannot be trusted any more (${error.message.split('\n')[0]}): exiting so that the client restarts the runtime`);
    exit(1);
  });
  reader.onPartialMessage(({ waitingTime }) => {
    log(
      'error',
      `a message has stayed incomplete for ${waitingTime} ms (a Content-Length larger than its body?): exiting so that the client restarts the runtime`,
    );
    exit(1);
  });
}
