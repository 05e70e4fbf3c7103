/** The inspector's styles: VS Code theme variables only, so light, dark and high-contrast themes all apply. */
import { css } from 'lit';

export const inspectorStyles = css`
  :host { display: block; color: var(--vscode-foreground); font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); }
  .toolbar { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; position: sticky; top: 0; z-index: 1; padding: 8px 0;
    background: var(--vscode-editor-background); border-bottom: 1px solid var(--vscode-panel-border); }
  .search { flex: 1 1 260px; }
  .columns { display: grid; gap: 16px; }
  .columns-2 { grid-template-columns: 1fr 1fr; }
  .episode { min-width: 0; }
  h1 { font-size: 1.2em; margin: 12px 0 6px; }
  .facts { display: flex; flex-wrap: wrap; gap: 4px 12px; color: var(--vscode-descriptionForeground); }
  .task { margin: 8px 0; }
  .won, .good { color: var(--vscode-testing-iconPassed); }
  .bad, .status-failed { color: var(--vscode-errorForeground); }
  .status-running { color: var(--vscode-charts-blue); }
  .matches, .empty { color: var(--vscode-descriptionForeground); }
  ol { list-style: none; margin: 0; padding: 0; }
  .subtask { border-left: 3px solid var(--vscode-charts-blue); margin: 8px 0; padding-left: 8px; }
  .subtask-name { font-weight: 600; }
  .steps { margin-left: 4px; }
  .step { border-bottom: 1px solid var(--vscode-panel-border); padding: 2px 0; }
  .step.invalid { border-left: 3px solid var(--vscode-errorForeground); padding-left: 4px; }
  .step.rewarded > details > summary .idx { color: var(--vscode-testing-iconPassed); }
  .step.highlight { outline: 1px solid var(--vscode-focusBorder); }
  summary { cursor: pointer; padding: 2px 0; }
  summary:hover { background: var(--vscode-list-hoverBackground); }
  summary:focus-visible { outline: 1px solid var(--vscode-focusBorder); }
  .idx { display: inline-block; min-width: 2.2em; text-align: right; margin-right: 6px; color: var(--vscode-descriptionForeground); }
  .action { font-family: var(--vscode-editor-font-family); }
  .meta { color: var(--vscode-descriptionForeground); margin-left: 8px; font-size: 0.92em; }
  .tag { margin-left: 6px; font-size: 0.9em; }
  .label { font-size: 0.85em; text-transform: uppercase; letter-spacing: 0.04em; color: var(--vscode-descriptionForeground); margin: 6px 0 2px; }
  .diff { white-space: pre-wrap; font-family: var(--vscode-editor-font-family); padding: 4px 6px; background: var(--vscode-editorWidget-background); }
  /* High-contrast themes mark diffs with borders, not fills: both are used, whichever the theme sets. */
  .diff .added { background: var(--vscode-diffEditor-insertedTextBackground); outline: 1px dashed var(--vscode-diffEditor-insertedTextBorder, transparent); }
  .diff .removed { background: var(--vscode-diffEditor-removedTextBackground); text-decoration: line-through;
    outline: 1px dashed var(--vscode-diffEditor-removedTextBorder, transparent); }
  .diff.none { color: var(--vscode-descriptionForeground); }
  pre { white-space: pre-wrap; word-break: break-word; font-family: var(--vscode-editor-font-family); margin: 2px 0; padding: 4px 6px;
    background: var(--vscode-editorWidget-background); max-height: 24em; overflow: auto; }
  .completion { border-left: 2px solid var(--vscode-charts-green); }
  .calls { border-collapse: collapse; margin: 6px 0; font-size: 0.92em; }
  .calls th, .calls td { text-align: left; padding: 2px 8px; border-bottom: 1px solid var(--vscode-panel-border); }
  .calls th { color: var(--vscode-descriptionForeground); font-weight: normal; }
  .prov { margin-left: 6px; }
  .critics-note { color: var(--vscode-descriptionForeground); font-size: 0.92em; margin: 4px 0; }
  .advantage { font-family: var(--vscode-editor-font-family); font-size: 0.88em; }
`;
