/**
 * Training metric names the trainer logs (runtime/python/stephrl_train) that more than one package reads, and the rule
 * that picks the loss a training run is summarised by. Defined once here; the CLI, the JSON-RPC server, the pipeline,
 * the extension's views and the curves view import it.
 */

/** In order of preference: behaviour cloning's total loss, then offline RL's actor loss, then (during the critics'
 * warm-up, before the actor trains) its Q loss. */
export const HEADLINE_LOSSES = ['loss', 'loss_actor_low', 'loss_q_low'] as const;

/** The headline loss among a step's (or a run's latest) values, with its name; null when none was logged. */
export function headlineLoss(values: Readonly<Record<string, number | null | undefined>>): { name: string; value: number } | null {
  for (const name of HEADLINE_LOSSES) {
    const value = values[name];
    if (value !== undefined && value !== null) return { name, value };
  }
  return null;
}
