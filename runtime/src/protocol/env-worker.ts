/**
 * The JSON-lines protocol between the runtime and one Python environment worker (runtime/python/stephrl_env).
 * Every line a worker prints is validated here before the runtime trusts it.
 */
import { z } from 'zod';
import { EngineInfo, ResetResult, SplitEntry, StepResult } from './environment';

export const WorkerErrorBody = z.object({ code: z.string(), message: z.string() });

export const WorkerLine = z.union([
  z.object({ event: z.literal('ready'), engine: EngineInfo, pid: z.number().int() }),
  z.object({ event: z.literal('fatal'), error: WorkerErrorBody }),
  z.object({ id: z.number().int(), ok: z.literal(true), result: z.unknown() }),
  z.object({ id: z.number().int().nullable(), ok: z.literal(false), error: WorkerErrorBody }),
]);
export type WorkerLine = z.infer<typeof WorkerLine>;

/** Method name -> result schema. Params are built by typed methods in runtime/src/env/worker-process.ts. */
export const workerResults = {
  reset: ResetResult,
  step: StepResult,
  expertAction: z.object({ action: z.string().nullable() }),
  expertPlan: z.object({ actions: z.array(z.string()) }),
  validActions: z.object({ actions: z.array(z.string()) }),
  listSplit: z.object({ episodes: z.array(SplitEntry) }),
  taskNames: z.object({ tasks: z.array(z.string()) }),
  close: z.object({}),
} as const;
export type WorkerMethod = keyof typeof workerResults;
export type WorkerResult<M extends WorkerMethod> = z.infer<(typeof workerResults)[M]>;
