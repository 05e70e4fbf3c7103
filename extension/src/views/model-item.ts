/** How models show in the Models view; no VS Code types, so it is testable. */
import type { ModelList } from '../../../runtime/src/protocol/trainer';
import { headlineLoss } from '../../../runtime/src/protocol/metrics';
import type { ItemView } from './item-view';

export type BaseModel = ModelList['baseModels'][number];
export type Adapter = ModelList['adapters'][number];
export type ShippedAdapter = ModelList['shipped'][number];

export type ModelNode =
  | { type: 'group'; group: 'base' | 'shipped' | 'adapters'; count: number }
  /** inUse: the model the settings (stephrl.modelPath) choose, else the set-up default. */
  | { type: 'base'; model: BaseModel; inUse: boolean }
  | { type: 'adapter'; adapter: Adapter }
  /** An adapter that ships with the runtime (runtime/adapters/<name>), with its card's scores. */
  | { type: 'shipped'; adapter: ShippedAdapter };

const GROUPS = {
  base: { label: 'Base models', icon: 'database', tooltip: 'GGUF models the agents and the trainer run on' },
  shipped: {
    label: 'Shipped adapters',
    icon: 'package',
    tooltip: 'Trained adapters that ship with STEP-HRL Studio (--adapter <name>); each has a card with its data, command and scores',
  },
  adapters: { label: 'Adapters', icon: 'layers', tooltip: 'LoRA adapters exported by training runs (GGUF for llama.cpp)' },
} as const;

const pct = (x: number) => `${(x * 100).toFixed(0)}%`;

export type ModelItemView = ItemView;

/** The last loss a run reported (protocol/metrics.ts's rule). */
function lastLoss(metrics: Record<string, number>): string | null {
  const loss = headlineLoss(metrics);
  return loss ? `${loss.name} ${loss.value.toFixed(3)}` : null;
}

export function modelItemView(node: ModelNode): ModelItemView {
  switch (node.type) {
    case 'group':
      return { ...GROUPS[node.group], description: String(node.count), contextValue: `modelGroup.${node.group}`, expandable: true };
    case 'shipped': {
      const a = node.adapter;
      const headline = a.scores.find((s) => !s.constrained) ?? a.scores[0];
      return {
        label: a.name,
        description: [a.title, headline ? `${headline.split} ${pct(headline.successRate)} of ${headline.episodes}` : null]
          .filter(Boolean)
          .join(' · '),
        icon: 'verified',
        tooltip: [
          `${a.title} (on ${a.baseModel})`,
          ...a.scores.map(
            (s) =>
              `${a.env} ${s.split}${s.constrained ? ', constrained' : ''}: ${pct(s.successRate)} (95% CI ${(s.successInterval[0] * 100).toFixed(0)}-${pct(s.successInterval[1])}) over ${s.episodes} episodes`,
          ),
          `trained: ${a.data}; ${a.steps} steps in ${(a.trainSeconds / 60).toFixed(0)} min on ${a.machine}`,
          a.path,
        ].join('\n'),
        contextValue: 'model.shipped',
        expandable: false,
      };
    }
    case 'base':
      return {
        label: node.model.name,
        description: [
          node.model.sizeMb >= 1 ? `${node.model.sizeMb} MiB` : 'under 1 MiB',
          node.inUse ? 'in use' : null,
          node.model.isDefault ? 'set-up default' : null,
        ]
          .filter(Boolean)
          .join(' · '),
        icon: 'file-binary',
        tooltip: node.model.path,
        contextValue: 'model.base',
        expandable: false,
      };
    case 'adapter': {
      const a = node.adapter;
      const loss = lastLoss(a.metrics);
      return {
        label: `${a.kind === 'rl' ? 'BC + offline RL' : 'BC'} · run ${a.runId}`,
        description: [a.baseModel ? a.baseModel.split(/[\\/]/).pop() : null, loss].filter(Boolean).join(' · '),
        icon: a.kind === 'rl' ? 'graph-line' : 'mortar-board',
        tooltip: [a.runName, a.path, `exported ${a.createdAt}`, ...(loss ? [loss] : [])].join('\n'),
        contextValue: 'model.adapter',
        expandable: false,
      };
    }
  }
}

/** `configured`: stephrl.modelPath ('' when unset: the set-up default is the one in use). */
export function modelChildren(list: ModelList, parent?: ModelNode, configured = ''): ModelNode[] {
  if (!parent) {
    return [
      { type: 'group', group: 'base', count: list.baseModels.length },
      { type: 'group', group: 'shipped', count: list.shipped.length },
      { type: 'group', group: 'adapters', count: list.adapters.length },
    ];
  }
  if (parent.type !== 'group') return [];
  switch (parent.group) {
    case 'base':
      return list.baseModels.map((model) => ({
        type: 'base' as const,
        model,
        inUse: configured ? samePath(model.path, configured) : model.isDefault,
      }));
    case 'shipped':
      return list.shipped.map((adapter) => ({ type: 'shipped' as const, adapter }));
    case 'adapters':
      return list.adapters.map((adapter) => ({ type: 'adapter' as const, adapter }));
  }
}

const samePath = (a: string, b: string) => a.replace(/[\\/]+$/, '') === b.trim().replace(/[\\/]+$/, '');
