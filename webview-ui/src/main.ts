/** Webview entry: mounts the view named by <body data-view>; each view talks to the host through one Host. */
import './shared/zod-jitless'; // first: before any schema exists
import './main.css';
import { WEBVIEW_VIEWS, type WebviewView } from '../../runtime/src/protocol/webview';
import { Host } from './shared/host';
import { renderStatus } from './status-view';
import { InspectorView } from './inspector/inspector-view';
import { CurvesView } from './curves/curves-view';
import { AnnotatorView } from './annotator/annotator-view';

const host = new Host();
const app = document.getElementById('app')!;
const view = document.body.dataset.view as WebviewView;

if (!(WEBVIEW_VIEWS as readonly string[]).includes(view)) {
  app.textContent = `Unknown view '${String(view)}'.`;
} else if (view === 'status') {
  host.onMessage((m) => m.type === 'runtimeStatus' && renderStatus(app, m, (out) => host.post(out)));
} else {
  const element = view === 'inspector' ? new InspectorView(host) : view === 'curves' ? new CurvesView(host) : new AnnotatorView(host);
  app.append(element);
}
host.post({ type: 'ready' });
