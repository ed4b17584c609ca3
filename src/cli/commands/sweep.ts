import { UsageError } from '../../errors.js';
import { setOption, stringList, type CommandModule } from '../command.js';

const command: CommandModule = {
  usage: 'sweep <sweep.yaml> [--set key.path=value ...] [--plan [--count]] [--trial K | --shard i/N]',
  help: `Runs every trial of a sweep: the cartesian product of its grid axes, its zip groups and its
seeds, on top of a base run config. Every trial's config is validated before anything starts.
Trials run in worker processes (parallel: N in the sweep file); the sweep is an MLflow parent
run and each trial a child run tagged with its hash (resolved config + git commit).

Rerunning a sweep resumes it: finished trials are skipped, failed, killed and new ones run.
Ctrl-C stops the workers, marks their runs KILLED and leaves the sweep resumable.

  --set key.path=value  applies to every trial, as with \`attnlab run\`
  --plan                print the trials, what differs, their state (done, failed, pending,
                        new) and an estimated cost from earlier runs; start nothing
  --count               with --plan: print only the number of trials (a job array's size)
  --trial K             run trial K only (0-based), e.g. --trial $SLURM_ARRAY_TASK_ID
  --shard i/N           run the trials whose index is i modulo N (0 ≤ i < N)

Exit codes: 0 all trials finished, 1 a trial failed, 2 bad sweep file or config, 130 interrupted.`,
  options: { ...setOption, plan: { type: 'boolean' }, count: { type: 'boolean' }, trial: { type: 'string' }, shard: { type: 'string' } },
  async run({ positionals, values }) {
    if (positionals.length !== 1) throw new UsageError('sweep takes one sweep file: attnlab sweep configs/entropy-grid.yaml');
    if (values.count && !values.plan) throw new UsageError('--count goes with --plan: attnlab sweep <sweep.yaml> --plan --count (it prints the number of trials, runs nothing)');
    const selection = parseSelection(values.trial as string | undefined, values.shard as string | undefined);
    const { parseOverrides } = await import('../../config/load.js');
    const overrides = parseOverrides(stringList(values.set));
    const sweeps = await import('../../sweep/sweep.js');
    if (values.plan) {
      const { views, plan } = await sweeps.loadSweep(positionals[0], overrides);
      if (values.count) {
        process.stdout.write(`${views.length}\n`);
        return 0;
      }
      const { formatPlan } = await import('../../sweep/format-plan.js');
      process.stdout.write(formatPlan(plan, sweeps.selectTrials(views, selection)));
      return 0;
    }
    const { SweepDisplay } = await import('../../sweep/display.js');
    const controller = new AbortController();
    const interrupt = (): void => controller.abort();
    process.once('SIGINT', interrupt);
    process.once('SIGTERM', interrupt);
    try {
      const result = await sweeps.runSweep(positionals[0], overrides, { ...selection, signal: controller.signal, display: new SweepDisplay() });
      process.stdout.write(`${result.table}\n`);
      if (result.best) process.stdout.write(`\nbest trial: ${result.best}\n`);
      if (result.interrupted) return 130;
      return result.failed > 0 ? 1 : 0;
    } finally {
      process.off('SIGINT', interrupt);
      process.off('SIGTERM', interrupt);
    }
  },
};
export default command;

function parseSelection(trial: string | undefined, shard: string | undefined): { trial?: number; shard?: { index: number; count: number } } {
  if (trial !== undefined && shard !== undefined) throw new UsageError('give --trial or --shard, not both');
  if (trial !== undefined) {
    const index = Number(trial);
    if (!Number.isInteger(index) || index < 0) throw new UsageError(`--trial takes a trial number (0, 1, …), found "${trial}"`);
    return { trial: index };
  }
  if (shard !== undefined) {
    const match = /^(\d+)\/(\d+)$/.exec(shard);
    const [index, count] = match ? [Number(match[1]), Number(match[2])] : [Number.NaN, Number.NaN];
    if (!match || count < 1 || index >= count) throw new UsageError(`--shard takes i/N with 0 ≤ i < N, e.g. --shard 0/4; found "${shard}"`);
    return { shard: { index, count } };
  }
  return {};
}
