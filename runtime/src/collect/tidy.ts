/**
 * Tidied ALFWorld demonstrations. ALFWorld's hand-coded expert loses track of where it stands in some rooms (several
 * receptacles at one location): its suggestions stop being admissible, its wrapper turns each into `look`, and it goes
 * on picking up unrelated objects and putting them back. A small policy imitates that noise faithfully (a first
 * learning check replayed "look" to the step cap). Tidying drops the steps that do nothing for the task (looks,
 * examines, inventories, an unrelated object taken and put down again, a place revisited and left at once, a
 * receptacle closed and never opened again), then replays the shorter action list in the engine and keeps it only if
 * it wins with no rejected action. Otherwise the expert's trajectory stays as it was.
 */
import type { EpisodeSpec, ExpertTrajectory, TrajectoryStep } from '../protocol/environment';
import type { Environment } from '../env/environment';
import { EXPERT_MAX_STEPS } from '../env/expert';

const NO_EFFECT = /^(look|inventory|examine .+)$/;
const TAKE = /^take (.+?) from (.+)$/;
const PUT = /^put (.+?) in\/on (.+)$/;
const GO = /^go to (.+)$/;
const OPEN = /^open (.+)$/;
const CLOSE = /^close (.+)$/;

/** "bowl 1" -> "bowl". */
const typeOf = (name: string): string =>
  name
    .replace(/\s+\d+$/, '')
    .trim()
    .toLowerCase();

/** The object type a task handles ("bowl"), from ALFWorld's PDDL parameters; null when unknown. */
export function goalObjectType(taskParams: Record<string, unknown> | null | undefined): string | null {
  const target = taskParams?.object_target;
  return typeof target === 'string' && target ? target.toLowerCase() : null;
}

/** Removes an unrelated object's take and the put that follows it (the object goes nowhere useful). */
function withoutUnrelatedCarries(actions: readonly string[], goal: string): string[] {
  const drop = new Set<number>();
  actions.forEach((action, i) => {
    const take = TAKE.exec(action);
    if (!take || typeOf(take[1]!) === goal) return;
    const object = take[1]!;
    const next = actions.findIndex((a, j) => j > i && ` ${a} `.includes(` ${object} `));
    if (next > i && PUT.exec(actions[next]!)?.[1] === object) {
      drop.add(i);
      drop.add(next);
    }
  });
  return actions.filter((_, i) => !drop.has(i));
}

/** Removes a `go to X` followed at once by another `go to`, where X was visited before: a detour. */
function withoutPassThroughRevisits(actions: readonly string[]): string[] {
  const out: string[] = [];
  const visited = new Set<string>();
  actions.forEach((action, i) => {
    const go = GO.exec(action);
    if (go && visited.has(go[1]!) && GO.test(actions[i + 1] ?? '')) return;
    if (go) visited.add(go[1]!);
    out.push(action);
  });
  return out;
}

/** Removes `close X` where X is never opened again (closing is courtesy; nothing in ALFWorld's goals needs it). */
function withoutCourtesyCloses(actions: readonly string[]): string[] {
  return actions.filter((action, i) => {
    const close = CLOSE.exec(action);
    return !close || actions.slice(i + 1).some((a) => OPEN.exec(a)?.[1] === close[1]);
  });
}

/** Shorter action lists to try, most tidied first; each differs from the expert's. */
export function tidyCandidates(actions: readonly string[], goal: string | null): string[][] {
  const essential = actions.filter((a) => !NO_EFFECT.test(a));
  const carried = goal ? withoutUnrelatedCarries(essential, goal) : essential;
  const direct = withoutPassThroughRevisits(carried);
  const candidates = [withoutCourtesyCloses(direct), direct, carried, essential];
  const seen = new Set<string>([actions.join('\n')]);
  return candidates.filter((c) => {
    const key = c.join('\n');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Replays an action list from the start; the trajectory if it wins with no rejected action, else null. */
async function replayCleanly(
  env: Environment,
  spec: EpisodeSpec,
  actions: readonly string[],
  expert: ExpertTrajectory,
): Promise<ExpertTrajectory | null> {
  const started = performance.now();
  await env.reset(spec, { maxSteps: EXPERT_MAX_STEPS });
  const steps: TrajectoryStep[] = [];
  for (const action of actions) {
    const result = await env.step(action);
    steps.push({ action, ...result });
    if (result.invalid) return null;
    if (result.done) break;
  }
  const last = steps.at(-1);
  if (!last?.won || steps.length !== actions.length) return null;
  return {
    ...expert,
    steps,
    summary: {
      score: last.score,
      won: true,
      steps: steps.length,
      invalidActions: 0,
      stoppedBy: 'done',
      seconds: expert.summary.seconds + (performance.now() - started) / 1000,
    },
  };
}

/**
 * The tidiest replayable version of a won ALFWorld expert trajectory, and how many steps it saved; the trajectory
 * itself when nothing can be dropped (or it did not win).
 */
export async function tidyTrajectory(
  env: Environment,
  spec: EpisodeSpec,
  expert: ExpertTrajectory,
): Promise<{ trajectory: ExpertTrajectory; removed: number }> {
  if (spec.env !== 'alfworld' || !expert.summary.won) return { trajectory: expert, removed: 0 };
  const actions = expert.steps.map((s) => s.action);
  for (const candidate of tidyCandidates(actions, goalObjectType(expert.taskParams as Record<string, unknown> | null))) {
    const tidy = await replayCleanly(env, spec, candidate, expert);
    if (tidy) return { trajectory: tidy, removed: actions.length - candidate.length };
  }
  return { trajectory: expert, removed: 0 };
}
