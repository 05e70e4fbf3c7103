/** Webview entry: mounts the view named by <body data-view>; each view talks to the host through one Host. */
import './shared/zod-jitless'; // first: before any schema exists
import './main.css';
import { WEBVIEW_VIEWS, type WebviewView } from '../../runtime/src/protocol/webview';
import { Host } from './shared/host';
import { renderStatus } from './status-view';
import { InspectorView } from './inspector/inspector-view';
import { CurvesView } from './curves/curves-view';
import { AnnotatorView } from './annotator/annotator-view';
import { CompareView } from './compare/compare-view';

const app = document.getElementById('app')!;
const view = document.body.dataset.view as WebviewView;

// Each view gets a channel that takes and sends only its own messages.
if (!(WEBVIEW_VIEWS as readonly string[]).includes(view)) {
  app.textContent = `Unknown view '${String(view)}'.`;
} else if (view === 'status') {
  const host = new Host('status');
  host.onMessage((m) => renderStatus(app, m, (out) => host.post(out)));
  host.post({ type: 'ready' });
} else if (view === 'inspector') {
  const host = new Host('inspector');
  app.append(new InspectorView(host));
  host.post({ type: 'ready' });
} else if (view === 'curves') {
  const host = new Host('curves');
  app.append(new CurvesView(host));
  host.post({ type: 'ready' });
} else if (view === 'compare') {
  const host = new Host('compare');
  app.append(new CompareView(host));
  host.post({ type: 'ready' });
} else {
  const host = new Host('annotator');
  app.append(new AnnotatorView(host));
  host.post({ type: 'ready' });
}
