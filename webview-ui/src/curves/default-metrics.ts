/** What the curves view shows before anyone picks: no DOM, so plain Node tests it. */
import { HEADLINE_LOSSES } from '../../../runtime/src/protocol/metrics';

/** The headline figure of each kind of run: BC loss, the RL actor's or critic's, an evaluation's score. */
const PREFERRED = [...HEADLINE_LOSSES, 'loss_bc_low', 'eval/meanScore', 'eval/successRate'];

/** The headline metric, plus the validation loss and the evaluated checkpoints' success where the runs have them. */
export function defaultMetrics(names: readonly string[]): string[] {
  const preferred = PREFERRED.filter((n) => names.includes(n));
  const headline = preferred.length ? preferred.slice(0, 1) : names.slice(0, 1);
  const alongside = names.filter((n) => n === 'val_loss' || /^eval\/[^/]+\/successRate$/.test(n));
  return [...headline, ...alongside.filter((n) => !headline.includes(n))];
}
