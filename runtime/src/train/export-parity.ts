/**
 * Export parity: on the same token sequences, the PyTorch model (base + trained adapter) and llama.cpp (base GGUF +
 * exported adapter GGUF) should pick the same greedy next token. Also reports how often the adapter changes the
 * base model's choice, so a parity figure over an adapter that does nothing is visible as such.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import { greedyNextTokens } from '../llm/embedded';
import { mergedModelPath } from '../llm/merged-adapter';
import { pythonSourceDir, resolvePython } from '../util/paths';
import { TrainerError } from './trainer-process';

export interface ParityReport {
  sequences: number;
  positions: number;
  /** Positions where llama.cpp + adapter.gguf and PyTorch + adapter agree. */
  agreement: number;
  /** The same for the model with the adapter merged in (the default adapter mode, merged-adapter.ts). */
  mergedAgreement: number;
  /** Positions where the adapter changed PyTorch's greedy token from the base model's. */
  adapterChanged: number;
}

const GreedyOutput = z.object({ sequences: z.array(z.object({ tokens: z.array(z.number().int()), greedy: z.array(z.number().int()) })) });

function pythonGreedy(model: string, adapterDir: string | null, textsFile: string, python?: string): Promise<z.infer<typeof GreedyOutput>> {
  const args = ['-m', 'stephrl_train', 'greedy', '--model', model, '--texts', textsFile, ...(adapterDir ? ['--adapter', adapterDir] : [])];
  return new Promise((resolve, reject) => {
    execFile(
      resolvePython(python),
      args,
      { env: { ...process.env, PYTHONPATH: [pythonSourceDir, process.env.PYTHONPATH].filter(Boolean).join(':') }, maxBuffer: 256 << 20 },
      (error, stdout, stderr) => {
        if (error) return reject(new TrainerError(`the PyTorch side of the parity check failed: ${stderr.split('\n').slice(-6).join('\n')}`));
        try {
          resolve(GreedyOutput.parse(JSON.parse(stdout.trim().split('\n').at(-1)!)));
        } catch (e) {
          reject(new TrainerError(`the PyTorch side of the parity check printed no result: ${(e as Error).message}`));
        }
      },
    );
  });
}

export async function measureExportParity(options: {
  model: string;
  adapterDir: string;
  adapterGguf: string;
  texts: readonly string[];
  threads?: number;
  python?: string;
}): Promise<ParityReport> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stephrl-parity-'));
  try {
    const textsFile = path.join(dir, 'texts.json');
    fs.writeFileSync(textsFile, JSON.stringify(options.texts));
    const [tuned, base] = [
      await pythonGreedy(options.model, options.adapterDir, textsFile, options.python),
      await pythonGreedy(options.model, null, textsFile, options.python),
    ];
    const sequences = tuned.sequences.map((s) => s.tokens);
    const llama = await greedyNextTokens({ modelPath: options.model, adapterPath: options.adapterGguf, threads: options.threads ?? 1 }, sequences);
    const merged = await greedyNextTokens(
      { modelPath: await mergedModelPath(options.model, options.adapterGguf, { python: options.python }), threads: options.threads ?? 1 },
      sequences,
    );
    let positions = 0;
    let agreement = 0;
    let mergedAgreement = 0;
    let adapterChanged = 0;
    tuned.sequences.forEach((s, i) => {
      s.greedy.forEach((token, j) => {
        positions++;
        if (llama[i]![j] === token) agreement++;
        if (merged[i]![j] === token) mergedAgreement++;
        if (base.sequences[i]!.greedy[j] !== token) adapterChanged++;
      });
    });
    return { sequences: sequences.length, positions, agreement, mergedAgreement, adapterChanged };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
