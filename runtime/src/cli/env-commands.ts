/** `stephrl env list|expert|play`: the environments, their splits and their experts, from a terminal. */
import * as readline from 'node:readline';
import type { Command } from 'commander';
import { ALFWORLD_SPLITS, SCIENCEWORLD_SPLITS, describeEpisode } from '../protocol/environment';
import { DEFAULT_MAX_STEPS, WorkerEnvironment } from '../env/environment';
import { EXPERT_MAX_STEPS, runExpert } from '../env/expert';
import { resolveAlfworldData } from '../util/paths';
import { parseEnvKind, parseEpisode, parsePositiveInt, type EpisodeOptions } from './episode-args';
import { closeOnSignals, printJson } from './output';
import { plural } from '../util/plural';

function episodeOptions(command: Command): Command {
  return command
    .requiredOption('--env <env>', 'scienceworld or alfworld')
    .option('--task <name>', 'ScienceWorld task name (e.g. boil)')
    .option('--variation <n>', 'ScienceWorld variation index', '0')
    .option('--simplifications <list>', 'ScienceWorld simplifications, comma-separated', 'easy')
    .option('--game <path>', 'ALFWorld game: a game.tw-pddl file or its trial folder');
}

export function registerEnvCommands(program: Command): void {
  const env = program.command('env').description('list, run and play the environments (ScienceWorld, ALFWorld)');

  env
    .command('list')
    .description('the episodes of a split: ScienceWorld task and variation, or ALFWorld game and task type')
    .requiredOption('--env <env>', 'scienceworld or alfworld')
    .requiredOption('--split <split>', `ScienceWorld: ${SCIENCEWORLD_SPLITS.join('|')}; ALFWorld: ${ALFWORLD_SPLITS.join('|')}`)
    .option('--tasks <list>', 'only these tasks (ScienceWorld names or ALFWorld task types), comma-separated')
    .option('--data <dir>', 'ALFWorld data directory (default: $ALFWORLD_DATA or the one set up by npm run setup)')
    .option('--json', 'print JSON')
    .action(async (opts: { env: string; split: string; tasks?: string; data?: string; json?: boolean }) => {
      const kind = parseEnvKind(opts.env);
      const environment = new WorkerEnvironment(kind);
      closeOnSignals(() => environment.close());
      try {
        const episodes = await environment.listSplit(opts.split, {
          tasks: opts.tasks?.split(',').filter(Boolean),
          ...(kind === 'alfworld' ? { data: resolveAlfworldData(opts.data) } : {}),
        });
        if (opts.json) printJson({ env: kind, split: opts.split, count: episodes.length, episodes });
        else {
          for (const e of episodes) console.log('task' in e ? `${e.task}\t${e.variation}` : `${e.taskType}\t${e.game}`);
          console.log(`${plural(episodes.length, 'episode')} in ${kind} ${opts.split}`);
        }
      } finally {
        await environment.close();
      }
    });

  episodeOptions(env.command('expert'))
    .description("run the environment's expert through one episode and print the trajectory")
    .option('--max-steps <n>', 'step cap', String(EXPERT_MAX_STEPS))
    .option('--seed <n>', 'ALFWorld expert seed', '0')
    .option('--json', 'print JSON')
    .action(async (opts: EpisodeOptions & { maxSteps: string; seed: string; json?: boolean }) => {
      const episode = parseEpisode(opts);
      const environment = new WorkerEnvironment(episode.env);
      closeOnSignals(() => environment.close());
      try {
        const trajectory = await runExpert(
          environment,
          episode,
          { maxSteps: parsePositiveInt(opts.maxSteps, '--max-steps'), seed: Number(opts.seed) },
          opts.json ? undefined : (s) => console.log(`> ${s.action}\n${s.observation.trim()}\n  [score ${s.score}${s.invalid ? ', rejected' : ''}]`),
        );
        if (opts.json) printJson(trajectory);
        else {
          const { score, won, steps } = trajectory.summary;
          console.log(`${describeEpisode(episode)}: score ${score}, ${won ? 'won' : 'not won'}, ${steps} steps`);
        }
      } finally {
        await environment.close();
      }
    });

  episodeOptions(env.command('play'))
    .description('play an episode yourself: type actions; `valid` lists valid actions, `expert` suggests one, `quit` ends')
    .option('--max-steps <n>', 'step cap', String(DEFAULT_MAX_STEPS))
    .action(async (opts: EpisodeOptions & { maxSteps: string }) => {
      const episode = parseEpisode(opts);
      const environment = new WorkerEnvironment(episode.env);
      closeOnSignals(() => environment.close());
      const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
      // Iterate from the start so that lines piped in while the episode loads are not lost.
      const lines = rl[Symbol.asyncIterator]();
      try {
        console.log(`Loading ${describeEpisode(episode)}...`);
        const reset = await environment.reset(episode, {
          maxSteps: parsePositiveInt(opts.maxSteps, '--max-steps'),
          expert: true,
        });
        console.log(`Task: ${reset.taskDescription}\n\n${reset.observation.trim()}\n`);
        for (;;) {
          rl.prompt();
          const next = await lines.next();
          if (next.done) break;
          const line = next.value.trim();
          if (!line) continue;
          if (line === 'quit' || line === 'exit') break;
          if (line === 'valid') {
            console.log((await environment.validActions()).join('\n'));
            continue;
          }
          if (line === 'expert') {
            console.log(`expert: ${(await environment.expertAction()) ?? '(no suggestion)'}`);
            continue;
          }
          const step = await environment.step(line);
          console.log(
            `${step.observation.trim()}\n  [score ${step.score}, step ${step.steps}/${reset.maxSteps}${step.invalid ? ', rejected by the engine' : ''}]`,
          );
          if (step.done) {
            console.log(step.won ? 'You won.' : step.truncated ? 'Step cap reached.' : 'The episode is over.');
            break;
          }
        }
      } finally {
        rl.close();
        await environment.close();
      }
    });
}
