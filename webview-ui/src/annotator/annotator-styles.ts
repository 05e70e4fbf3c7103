/** The annotator's styles: VS Code theme variables only. */
import { css } from 'lit';

export const annotatorStyles = css`
  :host { display: block; color: var(--vscode-foreground); font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); }
  :host(:focus-within) .subtasks:focus { outline: none; }
  .toolbar { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; position: sticky; top: 0; z-index: 1; padding: 8px 0;
    background: var(--vscode-editor-background); border-bottom: 1px solid var(--vscode-panel-border); }
  .title { font-weight: 600; margin-right: 6px; }
  .queue { margin-left: auto; color: var(--vscode-descriptionForeground); }
  .message { min-height: 1.4em; padding: 2px 0; color: var(--vscode-descriptionForeground); }
  .message.error { color: var(--vscode-errorForeground); }
  .help, .empty { color: var(--vscode-descriptionForeground); font-size: 0.92em; }
  ol { list-style: none; margin: 0; padding: 0; }
  .subtask { border-left: 3px solid var(--vscode-charts-blue); margin: 10px 0; padding-left: 8px; }
  .subtask:nth-child(even) { border-left-color: var(--vscode-charts-purple); }
  .subtask-head { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin-bottom: 4px; }
  .subtask-head .name { flex: 0 1 360px; font-weight: 600; }
  .meta { color: var(--vscode-descriptionForeground); font-size: 0.92em; }
  .step { display: grid; grid-template-columns: 2.6em 1fr auto; gap: 2px 8px; padding: 4px 2px; border-bottom: 1px solid var(--vscode-panel-border); cursor: pointer; }
  .step:hover { background: var(--vscode-list-hoverBackground); }
  .step.selected { background: var(--vscode-list-activeSelectionBackground); }
  .step.invalid .action { color: var(--vscode-errorForeground); }
  .idx { text-align: right; color: var(--vscode-descriptionForeground); }
  .action { font-family: var(--vscode-editor-font-family); }
  .observation { grid-column: 2 / 4; color: var(--vscode-descriptionForeground); white-space: pre-wrap; max-height: 4.5em; overflow: hidden; font-size: 0.92em; }
  .progress { grid-column: 2 / 4; width: 100%; }
  .reviewed { color: var(--vscode-testing-iconPassed); }
`;
