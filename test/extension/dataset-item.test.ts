/** The Datasets view's items: episodes named as a person would, with their annotation status. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { annotationLabel, datasetItemView, episodeLabel, episodeNodes } from '../../extension/src/views/dataset-item';
import type { EpisodeSummary } from '../../runtime/src/protocol/dataset';

function episode(over: Partial<EpisodeSummary>): EpisodeSummary {
  return {
    id: 1,
    runId: 1,
    env: 'scienceworld',
    split: 'train',
    task: 'boil',
    variation: 3,
    simplifications: 'easy',
    game: null,
    taskParams: null,
    source: 'expert',
    agent: 'scienceworld-gold',
    model: null,
    adapter: null,
    engineName: 'scienceworld',
    engineVersion: '1.2.3',
    taskDescription: 'Your task is to boil water.',
    initialObservation: '',
    initialLook: null,
    initialInventory: null,
    maxSteps: 300,
    status: 'complete',
    stoppedBy: 'done',
    error: null,
    score: 100,
    won: true,
    startedAt: 't',
    finishedAt: 't',
    seconds: 1,
    stepCount: 30,
    invalidCount: 0,
    modelCalls: 0,
    promptTokens: 0,
    cachedPromptTokens: 0,
    completionTokens: 0,
    ...over,
  };
}

test('annotation status reads as auto, edited, reviewed or not annotated', () => {
  assert.equal(annotationLabel(null), 'not annotated');
  assert.equal(annotationLabel({ episodeId: 1, subtasks: 4, provenance: ['rule'], reviewed: false }), 'auto (rule)');
  assert.equal(annotationLabel({ episodeId: 1, subtasks: 4, provenance: ['human', 'rule'], reviewed: false }), 'edited');
  assert.equal(annotationLabel({ episodeId: 1, subtasks: 4, provenance: ['rule'], reviewed: true }), 'reviewed');
});

test('episodes are named by task and variation, or by the ALFWorld game folder', () => {
  assert.equal(episodeLabel(episode({})), 'boil #3');
  assert.equal(
    episodeLabel(
      episode({
        env: 'alfworld',
        task: 'pick_and_place_simple',
        variation: null,
        game: 'json_2.1.1/valid_seen/pick_and_place_simple-Book-None-SideTable-329/trial_T20190908_050633_745514',
      }),
    ),
    'pick_and_place_simple-Book-None-SideTable-329',
  );
});

test('episode items show steps, outcome and annotation; long lists end with a "more" item', () => {
  const episodes = [episode({ id: 1 }), episode({ id: 2, score: 40, won: false }), episode({ id: 3 })];
  const nodes = episodeNodes(episodes, [{ episodeId: 2, subtasks: 5, provenance: ['rule'], reviewed: true }], 2);
  assert.equal(nodes.length, 3);
  const [first, second, more] = nodes.map(datasetItemView);
  assert.equal(first!.description, '30 steps · score 100 · not annotated');
  assert.equal(first!.contextValue, 'dataset.episode.unannotated');
  assert.equal(second!.description, '30 steps · score 40 · reviewed');
  assert.equal(second!.icon, 'verified');
  assert.equal(more!.label, '1 more…');
  assert.equal(datasetItemView({ type: 'env', env: 'alfworld', episodes: 12, won: 11 }).description, '12 episodes, 11 won');
});
