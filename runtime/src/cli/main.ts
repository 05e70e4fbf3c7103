/** `stephrl`: the runtime's command line. The extension uses the same services over JSON-RPC (`stephrl serve`). */
import { Command, CommanderError } from 'commander';
import { registerEnvCommands } from './env-commands';
import { registerBenchCommands } from './bench-commands';
import { registerServeCommand } from './serve-command';
import { registerDatasetCommands } from './dataset-commands';
import { registerAgentCommands } from './agent-commands';
import { registerLlmCommands } from './llm-commands';
import { registerTokensCommand } from './tokens-command';
import { registerTrainCommands } from './train-commands';
import { registerPipelineCommand } from './pipeline-command';
import { registerModelsCommand } from './models-command';
import { registerDecisionsCommand } from './decisions-command';
import { registerRunsCommand } from './runs-command';
import { version } from '../util/version';
import { clipMessage } from '../util/clip';
import { ExitCodes, StudioError } from '../protocol/errors';

export function buildProgram(): Command {
  const program = new Command('stephrl')
    .description('STEP-HRL Studio runtime: environments, agents, datasets and training for hierarchical LLM agents')
    .version(version)
    .showHelpAfterError();
  registerEnvCommands(program);
  registerDatasetCommands(program);
  registerAgentCommands(program);
  registerDecisionsCommand(program);
  registerLlmCommands(program);
  registerTokensCommand(program);
  registerTrainCommands(program);
  registerPipelineCommand(program);
  registerModelsCommand(program);
  registerRunsCommand(program);
  registerBenchCommands(program);
  registerServeCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().exitOverride().parseAsync(argv);
    // Commands report partial failure (1) or an interruption (130) through process.exitCode.
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof StudioError) {
      process.stderr.write(`stephrl: ${error.exitCode === ExitCodes.Usage ? '' : 'error: '}${clipMessage(error.message)}\n`);
      return error.exitCode;
    }
    process.stderr.write(`stephrl: error: ${clipMessage(String((error as Error)?.stack ?? error))}\n`);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv).then((code) => process.exit(code));
}
