/** The runtime's JSON-RPC services: thin adapters from the protocol to the runtime's modules. */
import type { MessageConnection } from 'vscode-jsonrpc';
import { sendNotification, type Handlers } from '../protocol/jsonrpc';
import { WorkerEnvironment } from '../env/environment';
import { EXPERT_MAX_STEPS, runExpert } from '../env/expert';
import { WorkerPool } from '../env/pool';
import type { EnvKind } from '../protocol/environment';
import { resolveAlfworldData } from '../util/paths';
import type { Logger } from '../util/log';
import { checkHealth } from './health';


export function createHandlers(connection: MessageConnection, log: Logger): { handlers: Handlers; dispose: () => Promise<void> } {
  const pools = new Map<EnvKind, WorkerPool>();
  const pool = (kind: EnvKind) => {
    let p = pools.get(kind);
    if (!p) pools.set(kind, (p = new WorkerPool(kind, { size: 1, log })));
    return p;
  };

  const handlers: Handlers = {
    'runtime/health': () => checkHealth(),
    'env/listSplit': async ({ env, split, tasks, data }) => {
      const episodes = await pool(env).use((e: WorkerEnvironment) =>
        e.listSplit(split, { tasks, ...(env === 'alfworld' ? { data: resolveAlfworldData(data) } : {}) }),
      );
      return { count: episodes.length, episodes };
    },
    'env/runExpert': ({ episode, maxSteps, token }) =>
      pool(episode.env).use(
        (e) =>
          runExpert(e, episode, { maxSteps: maxSteps ?? EXPERT_MAX_STEPS }, (step) => {
            if (token) sendNotification(connection, 'env/expertStep', { token, step });
          }),
        episode,
      ),
  };
  return { handlers, dispose: async () => void (await Promise.all([...pools.values()].map((p) => p.close()))) };
}
