import { UsageError } from '../../errors.js';
import { jsonOption, setOption, stringList, threadsOption, type CommandModule } from '../command.js';

const command: CommandModule = {
  usage: 'run <config.yaml> [--set key.path=value ...] [--threads N] [--json]',
  help: `Trains and evaluates one experiment. The config is checked first (nothing is trained or
written when it has problems, exit code 2). Each epoch logs train/validation loss and accuracy
and attention entropy statistics; the best epoch on validation is restored and scored once on
the test split. Everything goes to MLflow: ./runs by default, MLFLOW_TRACKING_URI or
tracking.uri otherwise.

  --set key.path=value   override a config value (YAML-typed), repeatable:
                         --set train.epochs=3 --set model.encoder.type=gru
  --threads N            threads the kernels split each batch over, instead of
                         train.threads (default: all cores); more than the cores is
                         allowed, and the log says so. The run records the count used
                         as its train.threads param
  --json                 print the result as JSON on stdout (with "threads")

SIGINT, SIGTERM or SIGUSR1 stop training within one batch: the run is marked KILLED, what it
logged is flushed, and the command says how to resume.

Exit codes: 0 done, 1 failed while running, 2 bad config or arguments, 130 SIGINT, 143 SIGTERM,
138 SIGUSR1.`,
  options: { ...setOption, ...threadsOption, ...jsonOption },
  async run({ positionals, values }) {
    if (positionals.length !== 1) throw new UsageError('run takes one config file: attnlab run configs/q2-attention.yaml');
    const { parseThreads } = await import('../threads.js');
    const threads = parseThreads(values.threads);
    const { parseOverrides } = await import('../../config/load.js');
    const { runExperiment } = await import('../../run/experiment.js');
    const { createProgress } = await import('../../progress.js');
    const result = await runExperiment(positionals[0], parseOverrides(stringList(values.set)), {
      progress: createProgress({ plainLines: false }),
      log: (message) => process.stderr.write(`${message}\n`),
      threads,
    });
    if (values.json) {
      const { config, epochs, ...summary } = result;
      const history = epochs.map(({ validation, ...epoch }) => ({ ...epoch, valLoss: validation.loss, valAccuracy: validation.accuracy }));
      process.stdout.write(`${JSON.stringify({ ...summary, name: config.name, epochs: history }, null, 2)}\n`);
    } else {
      process.stdout.write(
        `${result.config.name}: test accuracy ${(100 * result.testAccuracy).toFixed(2)}%, macro-F1 ${result.testMacroF1.toFixed(4)} · run ${result.runId}\n` +
          `report: ${result.reportPath}\n`,
      );
    }
    return 0;
  },
};
export default command;
