/**
 * The extension's settings (package.json `contributes.configuration`), read in this one place: typed, trimmed and
 * with the defaults package.json declares. Read them when a command runs, not at activation, so edits apply at once.
 */
import * as vscode from 'vscode';
import type { ModelSettings } from './commands/evaluate-request';

export interface Settings extends ModelSettings {
  /** Node for the runtime (never the extension host's). */
  nodePath: string;
  /** Python for the environment workers and the trainer; empty: the runtime's own virtual environment. */
  pythonPath: string;
  alfworldDataDir: string;
}

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration('stephrl');
  const text = (key: string, fallback = '') => c.get<string>(key, fallback).trim();
  return {
    nodePath: text('nodePath') || 'node',
    pythonPath: text('pythonPath'),
    alfworldDataDir: text('alfworldDataDir'),
    modelPath: text('modelPath'),
    adapterPath: text('adapterPath'),
    modelEndpoint: text('modelEndpoint'),
    gpu: c.get<ModelSettings['gpu']>('gpu', 'auto'),
    adapterMode: c.get<ModelSettings['adapterMode']>('adapterMode', 'merged'),
    threads: c.get<number>('threads', 0),
    parallelEnvironments: Math.max(1, c.get<number>('parallelEnvironments', 1)),
    databasePath: text('databasePath'),
    maxSteps: c.get<number>('maxSteps', 50),
    contextSize: c.get<number>('contextSize', 0),
    scienceworldSimplifications: text('scienceworldSimplifications', 'easy'),
  };
}

/** The dataset a request names: the configured one, else none (the runtime's default dataset). */
export function databaseParam(): { db?: string } {
  const db = readSettings().databasePath;
  return db ? { db } : {};
}

/** Whether this workspace may start processes (environments, models, the trainer); says why not when it may not. */
export function trusted(what = 'runs environments, models and the trainer'): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showWarningMessage(`STEP-HRL ${what} only in a trusted workspace.`);
  return false;
}
