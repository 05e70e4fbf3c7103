/**
 * Drafted decoding (draft-aligner.ts and the embedded backend's checking): where the aligner places the answer in
 * the draft, and that a drafted greedy answer is the plain greedy answer, on the tiny model (fp32) exactly and on the
 * default model with progress prompts of the agent's own shape.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DraftAligner, MAX_DRAFT_TOKENS } from '../../runtime/src/llm/draft-aligner';
import { loadEmbeddedModel } from '../../runtime/src/llm/embedded';
import type { GenerateRequest, LanguageModel } from '../../runtime/src/llm/types';
import { progressPrompt } from '../../runtime/src/agent/prompts';
import { defaultModelPath } from '../../runtime/src/util/paths';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'stephrl-drafts-'));
const tinyModel = path.join(work, 'tiny.gguf');
before(async () => {
  const { writeTinyLlamaGguf } = await import('../fixtures/tinygguf.mjs');
  writeTinyLlamaGguf(tinyModel, { nCtx: 4096 });
});

test('the aligner drafts the start, follows a copy, prefers the place after the last one, and stops where the answer departs', () => {
  // "Checked: drawer 1 , drawer 2 , drawer 3 ." as made-up token ids
  const draft = [10, 20, 1, 90, 20, 2, 90, 20, 3, 99];
  const aligner = new DraftAligner(draft, 4);
  assert.deepEqual(aligner.next([]), [10, 20, 1, 90], 'nothing generated: the beginning');
  assert.deepEqual(aligner.next([10]), [], 'one token is no evidence');
  assert.deepEqual(aligner.next([10, 20]), [1, 90], 'a match of two drafts two');
  assert.deepEqual(aligner.next([10, 20, 1, 90, 20]), [2, 90, 20, 3], 'longer matches draft more, up to the cap');
  // ", drawer" (90, 20) occurs twice: the last match ended at index 4, so the one ending at index 7 is taken.
  assert.deepEqual(aligner.next([55, 90, 20]), [3, 99], 'the same words again: the place after the last one');
  assert.deepEqual(aligner.next([10, 20, 1, 77, 78]), [], 'the answer departed from the draft');
  assert.deepEqual(new DraftAligner<number>([]).next([1, 2]), []);
  assert.equal(new DraftAligner(Array.from({ length: 40 }, (_, i) => i)).next([]).length, MAX_DRAFT_TOKENS);
});

async function answers(model: LanguageModel, requests: GenerateRequest[]) {
  const session = await model.openSession(['progress']);
  try {
    const out = [];
    for (const request of requests) out.push(await session.generate(request));
    return out;
  } finally {
    await session.close();
  }
}

test('on the tiny model a drafted answer is the plain one, token for token, with a right draft or a wrong one', async () => {
  const model = await loadEmbeddedModel({ modelPath: tinyModel, gpu: false, threads: 1, slotsPerSession: 1, contextSize: 1024 });
  try {
    const base = ['kitchen', 'hallway', 'garden', 'cellar'].map((room): GenerateRequest => ({
      role: 'progress',
      prefix: 'Keep the progress.\n',
      state: `Room: ${room}\nUpdated progress:`,
      maxTokens: 24,
      temperature: 0,
      stop: [],
    }));
    const plain = await answers(model, base);
    const right = await answers(
      model,
      base.map((r, i) => ({ ...r, draft: plain[i]!.text })),
    );
    const wrong = await answers(
      model,
      base.map((r) => ({ ...r, draft: 'an unrelated text the model will not write' })),
    );
    for (let i = 0; i < base.length; i++) {
      assert.equal(right[i]!.text, plain[i]!.text);
      assert.equal(wrong[i]!.text, plain[i]!.text);
      assert.equal(right[i]!.completionTokens, plain[i]!.completionTokens);
      assert.equal(plain[i]!.draftTokensAccepted, undefined, 'no draft, nothing drafted');
    }
    const accepted = right.reduce((n, g) => n + g.draftTokensAccepted!, 0);
    const total = right.reduce((n, g) => n + g.completionTokens, 0);
    // The tiny model's noise does not survive detokenising and tokenising again everywhere, so only some of it aligns.
    assert.ok(accepted > 0, `its own answer as the draft: ${accepted} of ${total} tokens came from it`);
    // The KV cache is left consistent: plain decoding on the same session afterwards gives the first answers again.
    assert.deepEqual(
      (await answers(model, base)).map((g) => g.text),
      plain.map((g) => g.text),
    );
  } finally {
    await model.close();
  }
});

test(
  'the default model with the shipped adapter: progress updates drafted from the previous progress match plain decoding',
  { skip: !fs.existsSync(defaultModelPath) && 'the default model is not installed (npm run setup)' },
  async () => {
    const checked = ['drawer 1', 'drawer 2', 'shelf 1', 'shelf 2', 'countertop 1'];
    const requests = checked.map((_, i): GenerateRequest => {
      const prompt = progressPrompt({
        env: 'alfworld',
        subtask: 'find and take the mug',
        previousProgress: `Looking for a mug. || [Checked: ${checked.slice(0, i + 1).join(', ')}]`,
        action: `go to cabinet ${i + 1}`,
        observation: `You arrive at cabinet ${i + 1}. The cabinet ${i + 1} is closed.`,
      });
      return { role: 'progress', prefix: prompt.prefix, state: prompt.state, maxTokens: 64, temperature: 0, stop: ['\n'], draft: prompt.draft! };
    });
    // The shipped ALFWorld adapter writes progress as it was trained to: the previous text, updated.
    const load = (drafts: boolean) =>
      loadEmbeddedModel({
        modelPath: defaultModelPath,
        adapterPath: 'alfworld-stephrl-bc',
        adapterMode: 'merged',
        gpu: false,
        threads: 2,
        slotsPerSession: 1,
        drafts,
      });
    const [plainModel, draftModel] = [await load(false), await load(true)];
    try {
      const plain = await answers(plainModel, requests);
      const drafted = await answers(draftModel, requests);
      const same = drafted.filter((g, i) => g.text === plain[i]!.text).length;
      // Batched products round differently from one-token ones, so a near tie may go the other way: one at most here.
      assert.ok(same >= requests.length - 1, `${same} of ${requests.length} identical`);
      assert.ok(plain.every((g) => g.draftTokensAccepted === undefined));
      const accepted = drafted.reduce((n, g) => n + g.draftTokensAccepted!, 0);
      const total = drafted.reduce((n, g) => n + g.completionTokens, 0);
      // Each update copies the list and adds the place just seen: a good share of every answer comes from its draft.
      assert.ok(accepted >= total / 3, `${accepted} of ${total} answer tokens came from the drafts`);
    } finally {
      await plainModel.close();
      await draftModel.close();
    }
  },
);
