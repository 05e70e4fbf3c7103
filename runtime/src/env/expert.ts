/** Runs an environment's expert (ScienceWorld gold path, ALFWorld hand-coded expert) through one episode. */
import type { EpisodeSpec, ExpertTrajectory, TrajectoryStep } from '../protocol/environment';
import type { Environment, ResetOptions } from './environment';

/** Long enough for every ScienceWorld gold path and ALFWorld's hand-coded expert (which gives up after 200). */
export const EXPERT_MAX_STEPS = 300;

export async function runExpert(
  env: Environment,
  episode: EpisodeSpec,
  options: ResetOptions = {},
  onStep?: (step: TrajectoryStep) => void,
): Promise<ExpertTrajectory> {
  const started = performance.now();
  const reset = await env.reset(episode, { ...options, expert: true });
  const steps: TrajectoryStep[] = [];
  let stoppedBy: ExpertTrajectory['summary']['stoppedBy'];
  for (;;) {
    const action = await env.expertAction();
    if (action === null) {
      stoppedBy = 'expert_exhausted';
      break;
    }
    const result = await env.step(action);
    const step = { action, ...result };
    steps.push(step);
    onStep?.(step);
    if (result.done) {
      stoppedBy = result.truncated ? 'step_cap' : 'done';
      break;
    }
  }
  const last = steps.at(-1);
  return {
    episode,
    engine: reset.engine,
    taskDescription: reset.taskDescription,
    initialObservation: reset.observation,
    ...(reset.look !== undefined ? { initialLook: reset.look } : {}),
    ...(reset.inventory !== undefined ? { initialInventory: reset.inventory } : {}),
    ...(reset.taskType !== undefined ? { taskType: reset.taskType } : {}),
    ...(reset.taskParams !== undefined ? { taskParams: reset.taskParams } : {}),
    steps,
    summary: {
      score: last?.score ?? reset.score,
      won: last?.won ?? false,
      steps: steps.length,
      invalidActions: steps.filter((s) => s.invalid).length,
      stoppedBy,
      seconds: (performance.now() - started) / 1000,
    },
  };
}
