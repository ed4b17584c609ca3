import { jsonOption, type CommandModule } from '../command.js';

const command: CommandModule = {
  usage: 'sync [--json]',
  help: `Sends every pending tracking journal to its MLflow server. Runs logged to a server are
journalled locally first (.attnlab/journal), so that a server that is down never stops a run;
sync replays what the server has not acknowledged. Running it again sends nothing twice.
Each request is tried up to 4 times, with backoff; what is still pending is listed by kind
(open, params, metrics, tags, artifact, end) with the last error.
Exit code 0 when everything is sent, 1 when some journals are still pending or failed.`,
  options: { ...jsonOption },
  async run({ values }) {
    const { syncJournals } = await import('../../tracking/journal.js');
    const report = await syncJournals({});
    if (values.json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else if (report.journals.length === 0) {
      process.stdout.write('nothing to send: no pending journals\n');
    } else {
      for (const journal of report.journals) {
        const what = `${journal.runName ?? journal.key}${journal.runId ? ` (run ${journal.runId})` : ''}`;
        const error = journal.error ? `: ${journal.error}` : '';
        const kinds = Object.entries(journal.pending).map(([type, count]) => `${count} ${type}`);
        const pending = `${journal.pendingEvents} pending${kinds.length > 0 ? ` (${kinds.join(', ')})` : ''}`;
        process.stdout.write(`${journal.outcome.padEnd(8)} ${what} — ${journal.sentEvents} sent, ${pending}${error}\n`);
      }
    }
    return report.journals.every((journal) => journal.outcome === 'synced' || journal.outcome === 'in-use') ? 0 : 1;
  },
};
export default command;
