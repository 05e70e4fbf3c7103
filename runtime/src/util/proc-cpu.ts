/** CPU seconds used by a process and all its descendants (Linux /proc), e.g. a worker and its JVM. */
import * as fs from 'node:fs';

const CLOCK_TICKS = 100; // USER_HZ on Linux

function readStat(pid: number): { ppid: number; ticks: number } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}

export function processTreeCpuSeconds(rootPid: number): number | undefined {
  if (!fs.existsSync('/proc/self/stat')) return undefined;
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat) stats.set(Number(name), stat);
  }
  let total = 0;
  const queue = [rootPid];
  while (queue.length > 0) {
    const pid = queue.pop()!;
    total += stats.get(pid)?.ticks ?? 0;
    for (const [child, stat] of stats) if (stat.ppid === pid) queue.push(child);
  }
  return total / CLOCK_TICKS;
}

/**
 * Whether process `pid` is still the one that started a run at `startedAt`: alive, a STEP-HRL process (its command
 * line names stephrl), and started no later than the run (a reused process id belongs to a newer process). Where
 * /proc is missing (not Linux) only liveness is known, and that is what this answers.
 */
export function isRunProcess(pid: number, startedAt: string): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  if (!fs.existsSync('/proc/self/stat')) return true;
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    if (!/stephrl/.test(cmdline)) return false;
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const startTicks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const bootSeconds = Number(/^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'))?.[1]);
    const processStartMs = (bootSeconds + startTicks / CLOCK_TICKS) * 1000;
    return processStartMs <= Date.parse(startedAt) + 2000; // /proc's start time is in ticks; allow for rounding
  } catch {
    return false;
  }
}
