/**
 * The webview's side of the host channel: every message from the host is validated against the shared protocol
 * (invalid ones are dropped with a console warning), every message to it is typed, and the view's state survives
 * reloads through the webview API's state slot.
 */
import { checkMessage, ViewState, VIEW_MESSAGES, type ToHost, type ToView, type WebviewView } from '../../../runtime/src/protocol/webview';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** One view's channel: it takes only what the host may send this view, and sends only this view's messages. */
export class Host<V extends WebviewView> {
  private readonly api = acquireVsCodeApi();
  private readonly listeners = new Set<(message: ToView<V>) => void>();

  constructor(private readonly view: V) {
    window.addEventListener('message', (event: MessageEvent) => {
      const checked = checkMessage<ToView<V>>(VIEW_MESSAGES[view].toView as never, event.data);
      if (!checked.ok) {
        console.warn(`ignored an invalid message from the host: ${checked.reason}`);
        return;
      }
      for (const listener of this.listeners) listener(checked.message);
    });
  }

  post(message: ToHost<V>): void {
    this.api.postMessage(VIEW_MESSAGES[this.view].toHost.parse(message));
  }

  onMessage(listener: (message: ToView<V>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The state saved by an earlier session of this view (nothing when it is invalid). */
  get state(): ViewState {
    const saved = ViewState.safeParse(this.api.getState() ?? {});
    return saved.success ? saved.data : {};
  }

  /** Saves the view's state here and with the host, which reopens the view with it after a reload. */
  saveState(patch: ViewState): void {
    const state = { ...this.state, ...patch };
    this.api.setState(state);
    this.post({ type: 'state', state } as ToHost<V>);
  }
}
