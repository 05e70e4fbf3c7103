/**
 * Training curves: the pure parts (EMA smoothing as TensorBoard does it, the series store, multi-run alignment, CSV)
 * in plain Node, then the view in headless Chromium against the built bundle: charts per picked metric with a series
 * per run, legend and hover values, smoothing, log scale, live appends, CSV/PNG export, runs picker, state restored
 * on reopening, invalid messages ignored, no CSP violation or console error.
 *
 * The runs are synthetic but shaped as the trainer logs them (runtime/python/stephrl_train: bc.py logs loss_bc_<role>,
 * loss, grad_norm, lr, tokens, tokens_per_second, peak_rss_mb every log_every steps; offline_rl.py logs
 * loss_q/loss_v/q_mean/v_mean/advantage_*_<role>, loss_actor_<role>, weight_*, actor_active, grad_norm, lr...), with
 * value ranges like those of a small run: losses decaying from ~2.5 with noise, v_mean crossing 0, lr warm-up.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { MetricPoint, RunSummary } from '../../runtime/src/protocol/dataset';
import type { ViewState, WebviewToHost } from '../../runtime/src/protocol/webview';
import type { CurvesDebug } from '../../webview-ui/src/curves/curves-view';
import { Aligner } from '../../webview-ui/src/curves/align';
import { CSV_HEADER, csvField, toCsv } from '../../webview-ui/src/curves/csv';
import { SeriesStore, type Cell } from '../../webview-ui/src/curves/series-store';
import { emaSmooth, EmaSmoother } from '../../webview-ui/src/curves/smoothing';
import { toColumns } from '../../runtime/src/protocol/metric-columns';
import { seededRandom } from '../../runtime/src/util/random';
import { buildWebview, launchChromium, openView, serveWebview, type WebviewPage } from './harness';

// ---------------------------------------------------------------- synthetic runs, shaped as the trainer logs them

const ROLES = ['high', 'low', 'progress'];

function bcPoints(fromStep: number, toStep: number, every: number, seed = 1): MetricPoint[] {
  const rnd = seededRandom(seed + fromStep);
  const points: MetricPoint[] = [];
  for (let step = fromStep; step <= toStep; step += every) {
    let loss = 0;
    for (const [i, role] of ROLES.entries()) {
      const v = 0.35 + 0.1 * i + (2.2 - 0.2 * i) * Math.exp(-step / 300) + 0.15 * (rnd() - 0.5);
      loss += v;
      points.push({ step, name: `loss_bc_${role}`, value: v });
    }
    points.push({ step, name: 'loss', value: loss });
    points.push({ step, name: 'grad_norm', value: 0.8 + 3 * Math.exp(-step / 200) + rnd() });
    points.push({ step, name: 'lr', value: 3e-4 * Math.min(1, step / 100) });
    points.push({ step, name: 'tokens', value: step * 4096 });
    points.push({ step, name: 'tokens_per_second', value: 5200 + 400 * (rnd() - 0.5) });
    points.push({ step, name: 'peak_rss_mb', value: 2900 + step * 0.01 });
  }
  return points;
}

function rlPoints(fromStep: number, toStep: number, every: number, seed = 2): MetricPoint[] {
  const rnd = seededRandom(seed + fromStep);
  const points: MetricPoint[] = [];
  for (let step = fromStep; step <= toStep; step += every) {
    for (const role of ['high', 'low']) {
      points.push({ step, name: `loss_q_${role}`, value: 0.02 + 0.5 * Math.exp(-step / 250) + 0.03 * rnd() });
      points.push({ step, name: `loss_v_${role}`, value: 0.01 + 0.2 * Math.exp(-step / 250) + 0.01 * rnd() });
      points.push({ step, name: `v_mean_${role}`, value: -0.4 + 0.9 * (1 - Math.exp(-step / 400)) + 0.05 * (rnd() - 0.5) });
      if (step > 200) points.push({ step, name: `loss_actor_${role}`, value: 1.2 * Math.exp(-step / 600) + 0.1 * rnd() });
    }
    points.push({ step, name: 'actor_active', value: step > 200 ? 1 : 0 });
    points.push({ step, name: 'grad_norm', value: 0.5 + 2 * Math.exp(-step / 300) + 0.5 * rnd() });
    points.push({ step, name: 'lr', value: 5e-5 });
  }
  return points;
}

function run(id: number, name: string, kind: RunSummary['kind'], status: RunSummary['status'], metrics: Record<string, number>): RunSummary {
  return {
    id,
    kind,
    name,
    status,
    error: null,
    config: { preset: 'cpu-small' },
    startedAt: '2025-11-20T10:00:00.000Z',
    updatedAt: '2025-11-20T10:30:00.000Z',
    finishedAt: status === 'running' ? null : '2025-11-20T10:30:00.000Z',
    metrics,
  };
}

const BC = run(7, 'bc-scienceworld-cpu-small', 'train', 'complete', { loss: 1.3 });
const RL = run(9, 'rl-scienceworld-cpu-small', 'train', 'running', { loss_q_low: 0.05 });
const EVAL = run(11, 'eval-react-dev', 'eval', 'complete', { score: 41 });
const RUNS = [EVAL, RL, BC];
const BC_POINTS = bcPoints(10, 1500, 10);
const RL_POINTS = rlPoints(5, 600, 5);

const series = (points: MetricPoint[], name: string) => points.filter((p) => p.name === name);

// ---------------------------------------------------------------- pure parts

/** TensorBoard's classicSmoothing, written out as it is (the reference). */
function tensorboardSmooth(values: number[], weight: number): number[] {
  let last = 0;
  let n = 0;
  return values.map((v) => {
    if (!Number.isFinite(v)) return v;
    last = last * weight + (1 - weight) * v;
    n++;
    return weight === 1 ? last : last / (1 - Math.pow(weight, n));
  });
}

describe('curves: smoothing, store, alignment, CSV', () => {
  const values = series(BC_POINTS, 'loss').map((p) => p.value);

  it('EMA smoothing matches TensorBoard (debiased) and passes weight 0 through', () => {
    for (const w of [0, 0.3, 0.6, 0.9, 0.99, 0.999]) {
      const ours = emaSmooth(values, w) as number[];
      const theirs = tensorboardSmooth(values, w);
      ours.forEach((v, i) => assert.ok(Math.abs(v - theirs[i]!) <= 1e-9 * Math.max(1, Math.abs(theirs[i]!)), `w=${w} i=${i}: ${v} vs ${theirs[i]}`));
    }
    assert.deepEqual(emaSmooth(values, 0), values);
    // Debiased: the first value is itself, a constant series stays constant.
    assert.equal(emaSmooth([5, 5, 5], 0.9)[0], 5);
    for (const v of emaSmooth([2, 2, 2, 2], 0.95)) assert.ok(Math.abs(v! - 2) < 1e-12);
    // Gaps stay gaps and do not advance the average; non-finite values pass through.
    assert.deepEqual(emaSmooth([1, null, 3], 0.5), [1, null, emaSmooth([1, 3], 0.5)[1]]);
    assert.deepEqual(emaSmooth([1, Infinity, 1], 0.5), [1, Infinity, 1]);
  });

  it('EMA smoothing is incremental: appending chunks (and a late value in the last row) equals smoothing at once', () => {
    const smoother = new EmaSmoother(0.9);
    const growing: Cell[] = [];
    for (let i = 0; i < values.length; i += 17) {
      growing.push(...values.slice(i, i + 17));
      growing.push(null); // a row whose value arrives after the view drew it
      smoother.update(growing, 0);
      growing[growing.length - 1] = 1.5;
      smoother.update(growing, 0);
    }
    const full = emaSmooth(growing, 0.9);
    const out = smoother.update(growing, 0);
    assert.deepEqual(out, full);
  });

  it('series store: one step array per run, columns aligned with nulls, out-of-order rows bump rev', () => {
    const store = new SeriesStore();
    const added = store.append(9, rlPoints(5, 300, 5));
    assert.ok(added.includes('loss_q_low') && added.includes('loss_actor_low'));
    const rl = store.get(9)!;
    assert.equal(rl.steps.length, 60);
    assert.equal(rl.column('loss_q_low').length, 60);
    // loss_actor starts after step 200: nulls before.
    assert.equal(rl.column('loss_actor_low')[0], null);
    assert.equal(typeof rl.column('loss_actor_low')[59], 'number');
    assert.equal(rl.rev, 0);
    assert.equal(rl.allPositive('loss_q_low'), true);
    assert.equal(rl.allPositive('v_mean_low'), false);
    // A later value of the last row: no rev bump. A point before the last row: bump (and inserted in place).
    rl.append([{ step: 300, name: 'extra', value: 1 }]);
    assert.equal(rl.rev, 0);
    rl.append([{ step: 12, name: 'extra', value: 2 }]);
    assert.ok(rl.rev > 0);
    assert.equal(rl.steps[2], 12);
    assert.equal(rl.steps.length, 61);
    assert.equal(rl.column('loss_q_low')[2], null);
    assert.deepEqual(store.names([9]).includes('extra'), true);
    store.append(9, [], true);
    assert.equal(store.get(9)!.steps.length, 0);
  });

  it('aligner: runs with different steps merge on their union, incrementally as rebuilt', () => {
    const a = new SeriesStore();
    a.append(1, bcPoints(10, 500, 10));
    a.append(2, rlPoints(5, 300, 5));
    const rows = () =>
      [1, 2].map((id) => {
        const r = a.get(id)!;
        return { source: r, rev: r.rev, steps: r.steps, columns: [r.column('grad_norm')] };
      });
    const inc = new Aligner();
    inc.update(rows());
    a.append(1, bcPoints(510, 800, 10));
    a.append(2, rlPoints(305, 900, 5));
    const grown = inc.update(rows());
    const fresh = new Aligner().update(rows());
    assert.deepEqual(grown.x, fresh.x);
    assert.deepEqual(grown.columns, fresh.columns);
    const union = [...new Set([...a.get(1)!.steps, ...a.get(2)!.steps])].sort((x, y) => x - y);
    assert.deepEqual(fresh.x, union);
    const at = fresh.x.indexOf(15);
    assert.equal(fresh.columns[0]![0]![at], null);
    assert.equal(typeof fresh.columns[1]![0]![at], 'number');
  });

  it('CSV: header, one row per logged value with its smoothed value, fields quoted', () => {
    const csv = toCsv([{ runId: 3, runName: 'bc, "small"', metric: 'loss', steps: [10, 20, 30], raw: [1, null, 0.5], smoothed: [1, null, 0.75] }]);
    assert.equal(csv, `${CSV_HEADER.join(',')}\n3,"bc, ""small""",loss,10,1,1\n3,"bc, ""small""",loss,30,0.5,0.75\n`);
    assert.equal(csvField('=cmd()'), "'=cmd()");
    assert.equal(csvField(NaN), 'nan');
  });
});

// ---------------------------------------------------------------- the view in Chromium

const view = (p: WebviewPage) =>
  p.page.evaluate(() => (document.querySelector('stephrl-curves') as unknown as { debugInfo(): CurvesDebug }).debugInfo());

/** Sends messages and waits until the view has drawn after them (without messages: until pending draws are done). */
async function sendAndDraw(p: WebviewPage, ...messages: Array<Record<string, unknown>>): Promise<CurvesDebug> {
  const frames = () => p.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  if (!messages.length) {
    await frames();
    return view(p);
  }
  const before = (await view(p)).draws;
  for (const m of messages) await p.send(m);
  await p.page.waitForFunction(
    (n) => (document.querySelector('stephrl-curves') as unknown as { debugInfo(): CurvesDebug }).debugInfo().draws > n,
    before,
  );
  await frames();
  return view(p);
}

async function waitPostedWhere(p: WebviewPage, test: (m: WebviewToHost) => boolean, timeoutMs = 10_000): Promise<WebviewToHost> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const hit = (await p.posted()).findLast(test);
    if (hit) return hit;
    if (Date.now() > end) throw new Error('the view did not post the expected message');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function loadRuns(p: WebviewPage, selected = [9, 7]): Promise<CurvesDebug> {
  await p.send({ type: 'runs', runs: RUNS, selected });
  return sendAndDraw(
    p,
    { type: 'metricPoints', runId: 7, columns: toColumns(BC_POINTS), reset: true },
    { type: 'metricPoints', runId: 9, columns: toColumns(RL_POINTS), reset: true },
  );
}

describe('curves view (Chromium)', () => {
  let browser: Browser;
  let server: Awaited<ReturnType<typeof serveWebview>>;
  let p: WebviewPage;
  let savedState: ViewState;

  before(async () => {
    buildWebview();
    server = await serveWebview();
    browser = await launchChromium();
    p = await openView(browser, server.origin, 'curves', { theme: 'dark', width: 1400, height: 1000 });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('plots the default metric, then one chart per picked metric with a series per run and a legend', async () => {
    const first = await loadRuns(p);
    // Nothing picked yet: the headline loss (only the BC run logs `loss`).
    assert.deepEqual(
      first.charts.map((c) => c.metric),
      ['loss'],
    );
    assert.deepEqual(
      first.charts[0]!.series.map((s) => s.runId),
      [7],
    );
    // The runs picker lists every run, the selected ones checked.
    const checked = await p.page.$$eval('.run-toggle', (els) =>
      els.map((e) => [Number((e as HTMLInputElement).dataset.runId), (e as HTMLInputElement).checked]),
    );
    assert.deepEqual(checked, [
      [11, false],
      [9, true],
      [7, true],
    ]);

    for (const metric of ['grad_norm', 'v_mean_low']) {
      await p.page.click(`.metric-toggle[data-metric="${metric}"]`);
    }
    const after = await sendAndDraw(p);
    assert.deepEqual(
      after.charts.map((c) => c.metric),
      ['loss', 'grad_norm', 'v_mean_low'],
    );
    const grad = after.charts.find((c) => c.metric === 'grad_norm')!;
    assert.deepEqual(
      grad.series.map((s) => s.runId),
      [9, 7],
    );
    assert.equal(grad.series.find((s) => s.runId === 7)!.rows, 150);
    assert.equal(grad.series.find((s) => s.runId === 9)!.rows, 120);
    // One canvas per chart; legend entries per run with the latest values.
    assert.equal(await p.page.locator('.chart canvas').count(), 3);
    const legend = await p.page.$$eval('.chart[data-metric="grad_norm"] .legend-item', (els) => els.map((e) => e.textContent?.trim()));
    assert.equal(legend.length, 2);
    assert.match(legend[0]!, /#9 rl-scienceworld-cpu-small/);
    assert.match(await p.page.locator('.chart[data-metric="grad_norm"] .legend-step').innerText(), /step 1500 \(latest\)/);
    const state = (await p.waitForPosted('state')).state;
    assert.deepEqual(state.metrics, ['loss', 'grad_norm', 'v_mean_low']);
  });

  it('shows the values under the cursor in the legend (hover), synchronised across charts', async () => {
    const over = p.page.locator('.chart[data-metric="grad_norm"] .u-over');
    const box = (await over.boundingBox())!;
    await p.page.mouse.move(box.x + box.width * 0.25, box.y + box.height / 2);
    await p.page.waitForFunction(() => !document.querySelector('.chart[data-metric="grad_norm"] .legend-step')?.textContent?.includes('latest'));
    const step = await p.page.locator('.chart[data-metric="grad_norm"] .legend-step').innerText();
    assert.match(step, /^step \d+$/);
    // The loss chart follows the same cursor.
    assert.equal(await p.page.locator('.chart[data-metric="loss"] .legend-step').innerText(), step);
    await p.page.mouse.move(box.x + box.width * 0.25, box.y - 200);
    await p.page.waitForFunction(() => !!document.querySelector('.chart[data-metric="grad_norm"] .legend-step')?.textContent?.includes('latest'));
  });

  it('the smoothing slider changes the smoothed values (TensorBoard EMA), the raw ones stay', async () => {
    const loss = series(BC_POINTS, 'loss').map((x) => x.value);
    let info = await view(p);
    let s = info.charts.find((c) => c.metric === 'loss')!.series[0]!;
    assert.ok(Math.abs((s.lastSmoothed as number) - emaSmooth(loss, 0.6).at(-1)!) < 1e-9);
    assert.equal(s.lastRaw, loss.at(-1));
    for (const value of ['0.95', '0']) {
      await p.page.$eval(
        '.smoothing-slider',
        (el, v) => {
          const input = el as HTMLInputElement;
          input.value = v;
          input.dispatchEvent(new Event('input', { bubbles: true }));
          input.dispatchEvent(new Event('change', { bubbles: true }));
        },
        value,
      );
      info = await sendAndDraw(p);
      s = info.charts.find((c) => c.metric === 'loss')!.series[0]!;
      assert.ok(Math.abs((s.lastSmoothed as number) - emaSmooth(loss, Number(value)).at(-1)!) < 1e-9, `smoothing ${value}`);
      assert.equal(await p.page.locator('.smoothing-value').innerText(), Number(value).toFixed(2));
      const shown = info.charts.find((c) => c.metric === 'loss')!.legend[0]!.smoothed;
      assert.equal(Number(shown), Number(Number(s.lastSmoothed).toPrecision(4)));
    }
    assert.equal(((await waitPostedWhere(p, (m) => m.type === 'state' && m.state.smoothing === 0)) as { state: ViewState }).state.smoothing, 0);
    // Back to a typical value for the rest.
    await p.page.$eval('.smoothing-slider', (el) => {
      (el as HTMLInputElement).value = '0.8';
      el.dispatchEvent(new Event('input', { bubbles: true }));
      el.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await sendAndDraw(p);
  });

  it('log scale: logarithmic for positive metrics, symmetric log for ones that cross zero', async () => {
    await p.page.click('.log-toggle');
    const info = await sendAndDraw(p);
    const scales = Object.fromEntries(info.charts.map((c) => [c.metric, c.scale]));
    assert.deepEqual(scales, { loss: 'log', grad_norm: 'log', v_mean_low: 'symlog' });
    assert.equal((await p.waitForPosted('state')).state.logScale, true);
  });

  it("live: appended points extend the running run's curves, only new rows are added", async () => {
    const before = (await view(p)).charts.find((c) => c.metric === 'grad_norm')!.series.find((s) => s.runId === 9)!;
    const more = rlPoints(605, 1100, 5);
    const info = await sendAndDraw(p, { type: 'metricPoints', runId: 9, columns: toColumns(more), reset: false });
    const after = info.charts.find((c) => c.metric === 'grad_norm')!.series.find((s) => s.runId === 9)!;
    assert.equal(after.rows, before.rows + 100);
    assert.equal(after.lastRaw, series(more, 'grad_norm').at(-1)!.value);
    // A new metric seen in the stream shows up in the picker.
    await sendAndDraw(p, {
      type: 'metricPoints',
      runId: 9,
      columns: toColumns([{ step: 1100, name: 'weight_mean_low', value: 1.02 }]),
      reset: false,
    });
    assert.equal(await p.page.locator('.metric-toggle[data-metric="weight_mean_low"]').count(), 1);
  });

  it('exports CSV (raw and smoothed of every plotted series) and PNG (data: URL) through saveFile', async () => {
    await p.page.click('.export-csv');
    const csv = (await waitPostedWhere(p, (m) => m.type === 'saveFile' && m.format === 'csv')) as Extract<WebviewToHost, { type: 'saveFile' }>;
    assert.match(csv.suggestedName, /^training-curves-9-7\.csv$/);
    const lines = csv.data.trim().split('\n');
    assert.equal(lines[0], 'run_id,run_name,metric,step,value,smoothed');
    const rows = lines.slice(1).map((l) => l.split(','));
    const count = (runId: string, metric: string) => rows.filter((r) => r[0] === runId && r[2] === metric).length;
    assert.equal(count('7', 'loss'), 150);
    assert.equal(count('9', 'loss'), 0);
    assert.equal(count('7', 'grad_norm'), 150);
    assert.equal(count('9', 'grad_norm'), 220);
    assert.equal(count('9', 'v_mean_low'), 220);
    assert.equal(rows.length, 150 + 150 + 220 + 220);
    const lossRows = rows.filter((r) => r[0] === '7' && r[2] === 'loss');
    const loss = series(BC_POINTS, 'loss');
    assert.deepEqual(lossRows[0]!.slice(0, 5), ['7', 'bc-scienceworld-cpu-small', 'loss', '10', String(loss[0]!.value)]);
    const smoothed = emaSmooth(
      loss.map((x) => x.value),
      0.8,
    );
    lossRows.forEach((r, i) => assert.ok(Math.abs(Number(r[5]) - smoothed[i]!) < 1e-12));

    await p.page.click('.export-png');
    const png = (await waitPostedWhere(p, (m) => m.type === 'saveFile' && m.format === 'png')) as Extract<WebviewToHost, { type: 'saveFile' }>;
    assert.match(png.data, /^data:image\/png;base64,[A-Za-z0-9+/]+=*$/);
    const bytes = Buffer.from(png.data.split(',')[1]!, 'base64');
    assert.deepEqual([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47]);
    assert.ok(bytes.length > 5_000, `a PNG of three charts, not an empty one (${bytes.length} bytes)`);
  });

  it('the runs picker posts selectRuns and drops the charts of unselected runs', async () => {
    await p.page.click('.run-toggle[data-run-id="7"]');
    const select = await waitPostedWhere(p, (m) => m.type === 'selectRuns');
    assert.deepEqual(select, { type: 'selectRuns', runIds: [9] });
    const info = await sendAndDraw(p);
    // `loss` is only the BC run's: its chart goes (the pick is kept for when the run comes back).
    assert.deepEqual(
      info.charts.map((c) => c.metric),
      ['grad_norm', 'v_mean_low'],
    );
    assert.deepEqual(
      info.charts[0]!.series.map((s) => s.runId),
      [9],
    );
    await p.page.click('.run-toggle[data-run-id="7"]');
    assert.deepEqual(await waitPostedWhere(p, (m) => m.type === 'selectRuns' && m.runIds.length === 2), { type: 'selectRuns', runIds: [9, 7] });
    // The host answers a selection by streaming the run from the start.
    const back = await sendAndDraw(p, { type: 'metricPoints', runId: 7, columns: toColumns(BC_POINTS), reset: true });
    assert.deepEqual(
      back.charts.map((c) => c.metric),
      ['loss', 'grad_norm', 'v_mean_low'],
    );
    savedState = (await p.waitForPosted('state')).state;
  });

  it('ignores invalid messages without errors', async () => {
    const before = await view(p);
    for (const bad of [
      { type: 'metricPoints', runId: -3, columns: toColumns([]), reset: true },
      { type: 'metricPoints', runId: 9, columns: { names: ['loss'], step: ['x'], name: [0], value: [1] }, reset: false },
      { type: 'runs', runs: 'nope', selected: [] },
      { type: 'noSuchMessage' },
      { nothing: true },
    ]) {
      await p.send(bad);
    }
    // Points of a run that is not selected are dropped too.
    await p.send({ type: 'metricPoints', runId: 11, columns: toColumns([{ step: 1, name: 'score', value: 4 }]), reset: true });
    await p.page.evaluate(() => new Promise((r) => setTimeout(r, 100)));
    const after = await view(p);
    assert.deepEqual(
      after.charts.map((c) => [c.metric, c.series.map((s) => s.rows)]),
      before.charts.map((c) => [c.metric, c.series.map((s) => s.rows)]),
    );
    assert.equal(await p.page.locator('.metric-toggle[data-metric="score"]').count(), 0);
  });

  it('screenshots in dark and light themes', async () => {
    await p.screenshot('curves-dark');
    const light = await openView(browser, server.origin, 'curves', { theme: 'light', width: 1400, height: 1000, state: savedState });
    await loadRuns(light);
    await light.screenshot('curves-light');
    await light.close();
    assert.deepEqual(light.problems, []);
  });

  it('restores picked metrics, smoothing and log scale when reopened with the saved state', async () => {
    assert.deepEqual(savedState, { runIds: [9, 7], metrics: ['loss', 'grad_norm', 'v_mean_low'], smoothing: 0.8, logScale: true, filter: '' });
    const again = await openView(browser, server.origin, 'curves', { theme: 'dark', state: savedState });
    const info = await loadRuns(again, savedState.runIds);
    assert.deepEqual(
      info.charts.map((c) => [c.metric, c.scale]),
      [
        ['loss', 'log'],
        ['grad_norm', 'log'],
        ['v_mean_low', 'symlog'],
      ],
    );
    assert.equal(await again.page.locator('.smoothing-slider').inputValue(), '0.8');
    assert.equal(await again.page.locator('.log-toggle').isChecked(), true);
    const loss = info.charts.find((c) => c.metric === 'loss')!.series[0]!;
    assert.ok(
      Math.abs(
        (loss.lastSmoothed as number) -
          emaSmooth(
            series(BC_POINTS, 'loss').map((x) => x.value),
            0.8,
          ).at(-1)!,
      ) < 1e-9,
    );
    await again.close();
    assert.deepEqual(again.problems, []);
  });

  it('had no CSP violation, page error or console error', async () => {
    await p.close();
    assert.deepEqual(p.problems, []);
  });
});
