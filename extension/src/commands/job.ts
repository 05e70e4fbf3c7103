/**
 * A long runtime job (evaluation, demonstrations, annotation) behind a cancellable progress notification: the
 * runtime's progress notifications for the job's token move the bar; Cancel asks the runtime to stop, which keeps
 * everything finished so far.
 */
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';

export interface JobTick {
  token: string;
  total: number;
  done: number;
  failed: number;
  label?: string;
  error?: string;
}

export async function runJob<T>(
  title: string,
  progressEvents: vscode.Event<JobTick>,
  start: (token: string, cancel: vscode.CancellationToken) => Promise<T>,
  log: vscode.LogOutputChannel,
): Promise<{ result?: T; cancelled: boolean }> {
  const token = randomUUID();
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, cancel) => {
    let reported = 0;
    const listener = progressEvents((p) => {
      if (p.token !== token || p.total === 0) return;
      const share = (100 * p.done) / p.total;
      const failed = p.failed ? `, ${p.failed} failed` : '';
      const last = p.label ? `; last: ${p.label}${p.error ? ' (failed)' : ''}` : '';
      progress.report({ increment: share - reported, message: `${p.done}/${p.total}${failed}${last}` });
      reported = share;
    });
    try {
      return { result: await start(token, cancel), cancelled: cancel.isCancellationRequested };
    } catch (error) {
      const message = (error as Error).message;
      log.error(`${title} failed: ${message}`);
      if (!cancel.isCancellationRequested) {
        void vscode.window.showErrorMessage(`${title} failed: ${message}`, 'Show Logs').then((a) => a && log.show());
      }
      return { cancelled: cancel.isCancellationRequested };
    } finally {
      listener.dispose();
    }
  });
}

/** Reports a finished job: information, or a warning that points at the log when some items failed. */
export function reportJob(message: string, failures: readonly string[], cancelled: boolean, log: vscode.LogOutputChannel): void {
  log.info(message);
  for (const failure of failures) log.error(failure);
  if (cancelled) void vscode.window.showInformationMessage(`Stopped. ${message}`);
  else if (failures.length) {
    void vscode.window.showWarningMessage(`${message}. ${failures.length} failed (see the log).`, 'Show Logs').then((a) => a && log.show());
  } else void vscode.window.showInformationMessage(message);
}
