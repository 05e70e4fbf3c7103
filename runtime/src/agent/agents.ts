/** The agents by name: what `--agent` selects. */
import { runHistoryAgent } from './history-agent';
import { runReactAgent } from './react-agent';
import { runStephrlAgent } from './stephrl-agent';
import type { AgentKind, AgentRunner } from './types';

export const AGENT_RUNNERS: Record<AgentKind, AgentRunner> = {
  stephrl: runStephrlAgent,
  react: runReactAgent,
  'hrl-history': runHistoryAgent,
};
