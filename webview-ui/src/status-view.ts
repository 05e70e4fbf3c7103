/** The runtime status view: one row per tool the runtime needs, with the fix for what is missing. */
import type { ToHost, ToView } from '../../runtime/src/protocol/webview';

type Status = ToView<'status'>;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text; // text only: host strings are never parsed as HTML
  return node;
}

export function renderStatus(root: HTMLElement, status: Status, post: (m: ToHost<'status'>) => void): void {
  root.replaceChildren();
  root.append(el('h1', 'title', 'STEP-HRL runtime'), el('p', `state state-${status.state}`, `${status.state}: ${status.message}`));
  if (status.health) {
    const { runtimeVersion, ...checks } = status.health;
    root.append(el('p', 'version', `runtime ${runtimeVersion}`));
    const table = el('table', 'checks');
    for (const [name, check] of Object.entries(checks)) {
      const row = el('tr', check.ok ? 'ok' : 'missing');
      row.append(
        el('td', 'mark', check.ok ? '✓' : '✗'),
        el('td', 'name', name),
        el('td', 'detail', check.fix ? `${check.detail} — fix: ${check.fix}` : check.detail),
      );
      table.append(row);
    }
    root.append(table);
  }
  const actions = el('div', 'actions');
  const recheck = el('button', 'button', 'Check again');
  recheck.addEventListener('click', () => post({ type: 'recheck' }));
  const logs = el('button', 'button secondary', 'Show logs');
  logs.addEventListener('click', () => post({ type: 'showLogs' }));
  actions.append(recheck, logs);
  root.append(actions);
}
