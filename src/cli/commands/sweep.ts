import { UsageError } from '../../errors.js';
import { setOption, stringList, threadsOption, type CommandModule } from '../command.js';

const command: CommandModule = {
  usage: 'sweep <sweep.yaml> [--set key.path=value ...] [--threads N] [--plan [--count | --pending [--format slurm]]] [--summary] [--trial K | --shard i/N]',
  help: `Runs every trial of a sweep: the cartesian product of its grid axes, its zip groups and its
seeds, on top of a base run config. Every trial's config is validated before anything starts.
Trials run in worker processes (parallel: N in the sweep file); the sweep is an MLflow parent
run and each trial a child run tagged with its hash (resolved config + attnlab's version).

Rerunning a sweep resumes it: finished trials are skipped, failed, killed, stale and new ones
run. A running trial beats a heartbeat every few seconds; one still RUNNING without a beat for
ATTNLAB_STALE_AFTER seconds (default 300) died (SIGKILL, a lost node): it is "stale", marked
KILLED and run again. Ctrl-C or SIGTERM stops the workers, marks their runs KILLED and leaves
the sweep resumable.

  --set key.path=value  applies to every trial, as with \`attnlab run\`
  --threads N           kernel threads of every trial, instead of its train.threads (default:
                        all cores), as with \`attnlab run\`; with parallel: P, the P trials share
                        the cores. Not part of a trial's identity: finished trials stay done
  --plan                print the trials, what differs, their state (done, failed, running,
                        stale, pending, new) and an estimated cost from earlier runs; start nothing
  --count               with --plan: print only the number of trials (a job array's size)
  --pending             with --plan: print only the indices still to run, one per line
  --format slurm        with --pending: as ranges for sbatch --array=, e.g. 0-3,7
  --summary             rank the trials the store holds, print the ranking and the best trial's
                        \`attnlab run\` line and log them to the parent run; run nothing
  --trial K             run trial K only (0-based), e.g. --trial $SLURM_ARRAY_TASK_ID
  --shard i/N           run the trials whose index is i modulo N (0 ≤ i < N)

Exit codes: 0 all trials finished, 1 a trial failed, 2 bad sweep file, config or arguments
(--trial out of range), 130 SIGINT, 143 SIGTERM, 138 SIGUSR1.`,
  options: {
    ...setOption,
    ...threadsOption,
    plan: { type: 'boolean' },
    count: { type: 'boolean' },
    pending: { type: 'boolean' },
    format: { type: 'string' },
    summary: { type: 'boolean' },
    trial: { type: 'string' },
    shard: { type: 'string' },
  },
  async run({ positionals, values }) {
    if (positionals.length !== 1) throw new UsageError('sweep takes one sweep file: attnlab sweep configs/entropy-grid.yaml');
    if (values.count && !values.plan) throw new UsageError('--count goes with --plan: attnlab sweep <sweep.yaml> --plan --count (it prints the number of trials, runs nothing)');
    const selection = parseSelection(values.trial as string | undefined, values.shard as string | undefined);
    const threads = (await import('../threads.js')).parseThreads(values.threads);
    const format = values.format as string | undefined;
    if (format !== undefined && format !== 'slurm' && format !== 'lines') throw new UsageError(`--format takes slurm or lines, found "${format}"`);
    if (format !== undefined && !values.pending) throw new UsageError('--format goes with --plan --pending');
    if (values.pending && !values.plan) throw new UsageError('--pending goes with --plan: attnlab sweep grid.yaml --plan --pending');
    if (values.summary && (values.plan || selection.trial !== undefined || selection.shard)) throw new UsageError('--summary runs nothing: give it alone, without --plan, --trial or --shard');
    const { parseOverrides } = await import('../../config/load.js');
    const overrides = parseOverrides(stringList(values.set));
    const sweeps = await import('../../sweep/sweep.js');
    if (values.plan) {
      const { views, plan } = await sweeps.loadSweep(positionals[0], overrides);
      sweeps.checkSelection(plan, selection);
      if (values.count) {
        process.stdout.write(`${views.length}\n`);
        return 0;
      }
      if (values.pending) {
        process.stdout.write(sweeps.formatPending(sweeps.selectTrials(views, selection), format === 'slurm' ? 'slurm' : 'lines'));
        return 0;
      }
      const { formatPlan } = await import('../../sweep/format-plan.js');
      process.stdout.write(formatPlan(plan, sweeps.selectTrials(views, selection)));
      return 0;
    }
    if (values.summary) {
      const summary = await sweeps.summarizeSweep(positionals[0], overrides);
      process.stdout.write(`${summary.table}\n`);
      if (summary.best) process.stdout.write(`\nbest trial: ${summary.best}\n`);
      if (summary.unfinished) process.stderr.write(`attnlab: ${summary.unfinished} trial(s) not finished yet; rerun the sweep (or the array) to run them\n`);
      return 0;
    }
    const { SweepDisplay } = await import('../../sweep/display.js');
    const { interruption } = await import('../../run/interrupt.js');
    const stop = interruption();
    try {
      const result = await sweeps.runSweep(positionals[0], overrides, { ...selection, threads, signal: stop.signal, display: new SweepDisplay() });
      process.stdout.write(`${result.table}\n`);
      if (result.best) process.stdout.write(`\nbest trial: ${result.best}\n`);
      if (stop.received) {
        process.stderr.write(`attnlab: ${stop.received} received: the trials that were running are marked KILLED; rerun the same command to resume\n`);
        return stop.exitCode;
      }
      return result.failed > 0 ? 1 : 0;
    } finally {
      stop.dispose();
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
