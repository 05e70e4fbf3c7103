/** The VS Code side of STEP-HRL Studio: starts the runtime, shows its state, and hosts the webviews. */
import * as vscode from 'vscode';
import { RuntimeClient, type RuntimeState } from './runtime-client';
import { StatusPanel } from './status-panel';
import { runtimeHome, setUpRuntimeCommand } from './runtime-setup';
import { evaluateCommand } from './commands/evaluate';
import { annotateCommand, collectDemonstrationsCommand } from './commands/dataset-jobs';
import { pipelineCommand, trainCommand } from './commands/train';
import { exportDatasetCommand, importDatasetCommand } from './commands/exchange';
import { RunsView } from './views/runs-view';
import { ModelsView } from './views/models-view';
import { DatasetsView } from './views/datasets-view';
import type { DatasetNode } from './views/dataset-item';
import type { ModelNode } from './views/model-item';
import type { RunSummary } from '../../runtime/src/protocol/dataset';
import { registerPanelSerializer, type PanelContext } from './panels/panel-host';
import { InspectorPanel } from './panels/inspector-panel';
import { AnnotatorPanel } from './panels/annotator-panel';
import { CurvesPanel, openTrainingCurvesCommand } from './panels/curves-panel';
import { ComparePanel, compareRunsCommand } from './panels/compare-panel';
import { openInspectorCommand } from './commands/open-inspector';
import { annotateEpisodeCommand, deleteEpisodeCommand, deleteRunCommand, exportItemCommand, stopRunCommand } from './commands/item-actions';
import { trusted } from './settings';

const STATUS_TEXT: Record<RuntimeState, string> = {
  starting: '$(loading~spin) STEP-HRL',
  ready: '$(hubot) STEP-HRL',
  stopped: '$(debug-disconnect) STEP-HRL',
  restricted: '$(shield) STEP-HRL',
  failed: '$(error) STEP-HRL',
};

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('STEP-HRL', { log: true });
  const runtime = new RuntimeClient(context.extensionPath, log, runtimeHome(context.extensionPath, context.globalStorageUri.fsPath));
  const status = vscode.window.createStatusBarItem('stephrl.runtime', vscode.StatusBarAlignment.Left, 10);
  status.name = 'STEP-HRL Runtime';
  status.command = 'stephrl.showRuntimeStatus';
  runtime.onDidChangeState(({ state, message }) => {
    // The device's short name (CUDA, VULKAN, METAL, CPU) next to the state: where models run, at a glance.
    status.text = STATUS_TEXT[state] + (state === 'ready' && runtime.device ? ` · ${runtime.device.split(' ')[0]}` : '');
    status.tooltip = `STEP-HRL runtime: ${message}`;
    status.backgroundColor = state === 'failed' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
  });
  status.text = STATUS_TEXT.stopped;
  status.show();

  const runs = new RunsView(runtime, log);
  const models = new ModelsView(runtime, log);
  const datasets = new DatasetsView(runtime, log);
  const panels: PanelContext = { extension: context, runtime, log };
  // Several evaluation runs can be selected at once, to compare them.
  const runsTree = vscode.window.createTreeView('stephrl.runs', { treeDataProvider: runs, canSelectMany: true });
  context.subscriptions.push(
    log,
    runs,
    models,
    runsTree,
    vscode.window.registerTreeDataProvider('stephrl.models', models),
    datasets,
    vscode.window.registerTreeDataProvider('stephrl.datasets', datasets),
    vscode.commands.registerCommand('stephrl.refreshDatasets', () => datasets.refresh()),
    vscode.commands.registerCommand('stephrl.importDataset', () => importDatasetCommand(runtime, log, () => datasets.refresh())),
    vscode.commands.registerCommand('stephrl.exportDataset', () => exportDatasetCommand(runtime, log)),
    vscode.commands.registerCommand('stephrl.annotateEpisode', (node?: DatasetNode) =>
      node?.type === 'episode' ? annotateEpisodeCommand(runtime, log, node, () => datasets.refresh()) : annotateCommand(runtime, log),
    ),
    vscode.commands.registerCommand('stephrl.refreshRuns', () => {
      runs.refresh();
      models.refresh();
    }),
    vscode.commands.registerCommand('stephrl.refreshModels', () => models.refresh()),
    vscode.commands.registerCommand('stephrl.evaluateWithAdapter', (node?: ModelNode) => {
      // A shipped adapter runs on the configured (or default) base model; its card names the one it fits.
      if (node?.type === 'shipped') return evaluateCommand(runtime, log, { adapter: node.adapter.path }).finally(() => datasets.refresh());
      if (node?.type !== 'adapter') return evaluateCommand(runtime, log).finally(() => datasets.refresh());
      return evaluateCommand(runtime, log, {
        adapter: node.adapter.path,
        ...(node.adapter.baseModel?.endsWith('.gguf') ? { model: node.adapter.baseModel } : {}),
      }).finally(() => datasets.refresh());
    }),
    vscode.commands.registerCommand('stephrl.stopRun', (run?: RunSummary) => stopRunCommand(runtime, log, run, () => runs.refresh())),
    runtime,
    status,
    vscode.commands.registerCommand('stephrl.showLogs', () => log.show()),
    vscode.commands.registerCommand('stephrl.setUpRuntime', () => setUpRuntimeCommand(context, () => runtime.restart(), log)),
    vscode.commands.registerCommand('stephrl.restartRuntime', () => {
      if (trusted('starts processes')) runtime.restart();
    }),
    vscode.commands.registerCommand('stephrl.showRuntimeStatus', () => StatusPanel.show(context, runtime, log)),
    // The evaluation's episodes show in the Datasets view when it ends.
    vscode.commands.registerCommand('stephrl.evaluate', () => evaluateCommand(runtime, log).finally(() => datasets.refresh())),
    vscode.commands.registerCommand('stephrl.collectDemonstrations', () => collectDemonstrationsCommand(runtime, log)),
    vscode.commands.registerCommand('stephrl.annotate', () => annotateCommand(runtime, log)),
    vscode.commands.registerCommand('stephrl.trainBehaviourCloning', () => trainCommand(runtime, log, 'bc')),
    vscode.commands.registerCommand('stephrl.trainOfflineRl', () => trainCommand(runtime, log, 'rl')),
    vscode.commands.registerCommand('stephrl.runPipeline', () => pipelineCommand(runtime, log)),
    vscode.commands.registerCommand('stephrl.openInspector', (target?: number | DatasetNode | RunSummary) => openInspectorCommand(panels, target)),
    vscode.commands.registerCommand('stephrl.openAnnotator', (target?: number | DatasetNode) =>
      AnnotatorPanel.show(panels, typeof target === 'number' ? target : target?.type === 'episode' ? target.episode.id : undefined),
    ),
    vscode.commands.registerCommand('stephrl.openTrainingCurves', (run?: RunSummary) => openTrainingCurvesCommand(panels, run)),
    // From a run's menu VS Code passes the clicked run and every selected one; from the view's title, nothing.
    vscode.commands.registerCommand('stephrl.compareRuns', (run?: RunSummary, selected?: RunSummary[]) =>
      compareRunsCommand(panels, run, selected ?? (run ? undefined : runsTree.selection)),
    ),
    vscode.commands.registerCommand('stephrl.deleteEpisode', (node?: DatasetNode) =>
      deleteEpisodeCommand(runtime, log, node?.type === 'episode' ? node : undefined, () => datasets.refresh()),
    ),
    vscode.commands.registerCommand('stephrl.deleteRun', (run?: RunSummary) =>
      deleteRunCommand(runtime, log, run, () => {
        runs.refresh();
        datasets.refresh();
        models.refresh();
      }),
    ),
    vscode.commands.registerCommand('stephrl.exportItem', (item?: DatasetNode | RunSummary) =>
      exportItemCommand(runtime, log, item && 'type' in item ? (item.type === 'episode' ? item : undefined) : item),
    ),
    registerPanelSerializer('curves', (panel, state) => CurvesPanel.revive(panel, panels, state)),
    registerPanelSerializer('inspector', (panel, state) => InspectorPanel.revive(panel, panels, state)),
    registerPanelSerializer('annotator', (panel, state) => AnnotatorPanel.revive(panel, panels, state)),
    registerPanelSerializer('compare', (panel, state) => ComparePanel.revive(panel, panels, state)),
    vscode.workspace.onDidGrantWorkspaceTrust(() => runtime.start()),
  );
  runtime.start();
}

export function deactivate(): void {}
