/**
 * The JSON-lines events of the Python trainer (runtime/python/stephrl_train/events.py), one object per stdout line.
 * The runtime validates each line here before it stores metrics or checkpoints.
 */
import { z } from 'zod';

export const TRAIN_KINDS = ['bc', 'rl'] as const;
export type TrainKind = (typeof TRAIN_KINDS)[number];
export const TRAIN_PRESETS = ['paper', 'cpu-small'] as const;
export type TrainPreset = (typeof TRAIN_PRESETS)[number];

export const TrainerEvent = z.discriminatedUnion('event', [
  z.object({
    event: z.literal('start'),
    kind: z.enum(TRAIN_KINDS),
    set_id: z.number().int(),
    device: z.string(),
    processes: z.number().int(),
    examples: z.record(z.string(), z.number().int()),
    total_steps: z.number().int(),
    start_step: z.number().int(),
    trainable_parameters: z.number().int(),
    parameters: z.number().int(),
    config: z.record(z.string(), z.unknown()),
    resumed_from: z.string().nullable(),
  }),
  // null: a value that was not finite (the run diverged there).
  z.object({ event: z.literal('metrics'), step: z.number().int(), values: z.record(z.string(), z.number().nullable()) }),
  z.object({ event: z.literal('checkpoint'), step: z.number().int(), path: z.string() }),
  z.object({ event: z.literal('stopped'), step: z.number().int(), path: z.string() }),
  z.object({ event: z.literal('done'), step: z.number().int(), path: z.string(), adapter: z.string() }),
  z.object({
    event: z.literal('exported'),
    path: z.string(),
    tensors: z.number().int(),
    architecture: z.string(),
    rank: z.number().int(),
    alpha: z.number(),
  }),
  z.object({ event: z.literal('error'), message: z.string() }),
]);
export type TrainerEvent = z.infer<typeof TrainerEvent>;
