/**
 * Process trees for the fault bench: what a runtime has started (environment workers, their JVMs, the trainer), so
 * that after a kill -9 the bench can tell whether anything was left behind. Read from `ps`, which Linux and macOS share.
 */
import { execFileSync } from 'node:child_process';

export interface ProcessRow {
  pid: number;
  ppid: number;
  pgid: number;
  /** Exited but not yet reaped: holds no resources, so it does not count as left behind. */
  zombie: boolean;
  command: string;
}

export function processTable(): ProcessRow[] {
  const text = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,pgid=,stat=,args='], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const rows: ProcessRow[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s*(.*)$/.exec(line);
    if (m) rows.push({ pid: Number(m[1]), ppid: Number(m[2]), pgid: Number(m[3]), zombie: m[4]!.startsWith('Z'), command: m[5]! });
  }
  return rows;
}

/**
 * Every live process a root started, directly or not, and every member of the process groups they lead (workers run in
 * groups of their own, so a JVM whose parent already died is still found). The root itself is not included.
 */
export function descendants(rootPid: number, table: ProcessRow[] = processTable()): ProcessRow[] {
  const children = new Map<number, ProcessRow[]>();
  for (const row of table) children.set(row.ppid, [...(children.get(row.ppid) ?? []), row]);
  const found = new Map<number, ProcessRow>();
  const queue = [rootPid];
  while (queue.length) {
    for (const child of children.get(queue.shift()!) ?? []) {
      if (found.has(child.pid)) continue;
      found.set(child.pid, child);
      queue.push(child.pid);
    }
  }
  // Only groups a descendant leads: a child left in its parent's group shares it with processes that are not ours.
  const groups = new Set([...found.values()].filter((r) => r.pgid === r.pid).map((r) => r.pgid));
  for (const row of table) if (groups.has(row.pgid)) found.set(row.pid, row);
  // Never this process: a bench that found itself in a group would kill itself cleaning up.
  return [...found.values()].filter((r) => !r.zombie && r.pid !== process.pid);
}

/** Waits until none of `pids` is a live process; returns those still alive when the time is up. */
export async function waitGone(pids: readonly number[], timeoutMs: number): Promise<ProcessRow[]> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const alive = processTable().filter((r) => !r.zombie && pids.includes(r.pid));
    if (!alive.length || Date.now() >= end) return alive;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Kills what a fault left behind, so one bad round does not slow the rounds after it. */
export function killAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}
