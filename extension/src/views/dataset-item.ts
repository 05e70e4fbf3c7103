/** How the dataset shows in the Datasets view: environments, sources, episodes with their annotation status. */
import type { EpisodeSummary } from '../../../runtime/src/protocol/dataset';
import type { AnnotationStatus } from '../../../runtime/src/protocol/rpc';
import type { ItemView } from './item-view';

export type Env = 'scienceworld' | 'alfworld';
export type Source = 'expert' | 'policy' | 'human';

export type DatasetNode =
  | { type: 'env'; env: Env; episodes: number; won: number }
  | { type: 'source'; env: Env; source: Source; episodes: number }
  | { type: 'episode'; episode: EpisodeSummary; annotation: AnnotationStatus | null }
  | { type: 'more'; hidden: number };

export type DatasetItemView = ItemView;

const ENV_NAMES: Record<Env, string> = { scienceworld: 'ScienceWorld', alfworld: 'ALFWorld' };
const SOURCE_NAMES: Record<Source, string> = { expert: 'expert demonstrations', policy: 'policy episodes', human: 'played by people' };

/** "auto (rule)", "reviewed", "not annotated": what a person reviewing annotations needs to see. */
export function annotationLabel(a: AnnotationStatus | null): string {
  if (!a) return 'not annotated';
  if (a.reviewed) return 'reviewed';
  return a.provenance.includes('human') ? 'edited' : `auto (${a.provenance.join(', ')})`;
}

export function episodeLabel(e: EpisodeSummary): string {
  if (e.env === 'scienceworld') return `${e.task} #${e.variation ?? '?'}`;
  // ALFWorld: the game's folder names the task and its objects (json_2.1.1/<split>/<task-objects>/<trial>).
  const parts = (e.game ?? '').split(/[\\/]/).filter(Boolean);
  return parts.length >= 2 ? parts[parts.length - 2]! : e.task;
}

export function datasetItemView(node: DatasetNode): DatasetItemView {
  switch (node.type) {
    case 'env':
      return {
        label: ENV_NAMES[node.env],
        description: `${node.episodes} episode${node.episodes === 1 ? '' : 's'}, ${node.won} won`,
        icon: 'globe',
        tooltip: `${node.episodes} ${ENV_NAMES[node.env]} episodes in the dataset`,
        contextValue: `dataset.env.${node.env}`,
        expandable: true,
      };
    case 'source':
      return {
        label: SOURCE_NAMES[node.source],
        description: String(node.episodes),
        icon: node.source === 'expert' ? 'mortar-board' : node.source === 'policy' ? 'hubot' : 'person',
        tooltip: `${node.episodes} ${SOURCE_NAMES[node.source]} (${ENV_NAMES[node.env]})`,
        contextValue: `dataset.source.${node.source}`,
        expandable: true,
      };
    case 'episode': {
      const e = node.episode;
      const outcome = e.env === 'scienceworld' ? `score ${e.score}` : e.won ? 'won' : 'lost';
      const annotation = annotationLabel(node.annotation);
      return {
        label: episodeLabel(e),
        description: [`${e.stepCount} steps`, outcome, e.status === 'complete' ? null : e.status, annotation].filter(Boolean).join(' · '),
        icon:
          e.status === 'running'
            ? 'sync~spin'
            : e.status !== 'complete'
              ? 'warning'
              : node.annotation?.reviewed
                ? 'verified'
                : node.annotation
                  ? 'pass'
                  : 'circle-outline',
        tooltip: [
          `episode ${e.id}: ${e.taskDescription}`,
          `${e.agent}${e.model ? ` with ${e.model}` : ''}${e.adapter ? ` + ${e.adapter}` : ''}`,
          `${e.stepCount} steps (${e.invalidCount} invalid), ${outcome}, ${e.status}`,
          node.annotation ? `${node.annotation.subtasks} subtasks, ${annotation}` : 'not annotated',
        ].join('\n'),
        contextValue: `dataset.episode.${node.annotation ? (node.annotation.reviewed ? 'reviewed' : 'annotated') : 'unannotated'}`,
        expandable: false,
        command: { id: 'stephrl.openInspector', title: 'Open Inspector', args: [e.id] },
      };
    }
    case 'more':
      return {
        label: `${node.hidden} more…`,
        description: 'use the CLI (stephrl dataset) or a filter',
        icon: 'ellipsis',
        tooltip: '',
        contextValue: 'dataset.more',
        expandable: false,
      };
  }
}

/** Episodes of one source as items, with their annotation status, capped so that huge datasets stay responsive. */
export function episodeNodes(episodes: EpisodeSummary[], status: AnnotationStatus[], cap: number): DatasetNode[] {
  const byEpisode = new Map(status.map((s) => [s.episodeId, s]));
  const shown = episodes.slice(0, cap).map((episode) => ({ type: 'episode' as const, episode, annotation: byEpisode.get(episode.id) ?? null }));
  return episodes.length > cap ? [...shown, { type: 'more', hidden: episodes.length - cap }] : shown;
}
