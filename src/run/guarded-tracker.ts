/**
 * A run's tracker that notices when the store stops taking writes (disk full, read-only, gone):
 * the run is then marked FAILED where the store still allows it, and the error says what was lost.
 */
import { TrackingError } from '../tracking/validation.js';
import type { EndStatus, Tracker } from '../tracking/tracker.js';
import { isStoreWriteError } from '../tracking/writable.js';

export class WriteGuardedTracker implements Tracker {
  /** The first write the store refused, e.g. `the metrics of step 3`. */
  private lost: { readonly what: string; readonly error: NodeJS.ErrnoException } | undefined;

  constructor(private readonly inner: Tracker) {}

  get runId(): string {
    return this.inner.runId;
  }

  get experimentId(): string {
    return this.inner.experimentId;
  }

  get artifactDir(): string | undefined {
    return this.inner.artifactDir;
  }

  logParams(params: Readonly<Record<string, string | number | boolean>>): Promise<void> {
    return this.guard('the params', () => this.inner.logParams(params));
  }

  logMetrics(metrics: Readonly<Record<string, number>>, step: number): Promise<void> {
    return this.guard(`the metrics of step ${step} (${Object.keys(metrics).join(', ')})`, () => this.inner.logMetrics(metrics, step));
  }

  setTags(tags: Readonly<Record<string, string>>): Promise<void> {
    return this.guard(`the tags ${Object.keys(tags).join(', ')}`, () => this.inner.setTags(tags));
  }

  logArtifact(relativePath: string, content: string | Uint8Array): Promise<void> {
    return this.guard(`the artifact ${relativePath}`, () => this.inner.logArtifact(relativePath, content));
  }

  logArtifactFile(relativePath: string, localFile: string): Promise<void> {
    return this.guard(`the artifact ${relativePath}`, () => this.inner.logArtifactFile(relativePath, localFile));
  }

  end(status: EndStatus, error?: unknown): Promise<void> {
    return this.guard(`the run's end (${status})`, () => this.inner.end(status, error));
  }

  /**
   * Ends the run FAILED after `error`, if the store still takes it, and returns the error to
   * report: for a refused write, one that names the store's error, what was lost and the run's state.
   */
  async fail(error: unknown): Promise<unknown> {
    // A refused end leaves the run as it was: trying again would find it already ended.
    let marked = !this.lost?.what.startsWith("the run's end");
    if (marked) {
      try {
        await this.inner.end('FAILED', error);
      } catch {
        marked = false;
      }
    }
    if (!this.lost) return error;
    const { what, error: cause } = this.lost;
    const state = marked ? 'it is marked FAILED' : 'it could not be marked FAILED either and still shows RUNNING';
    return new TrackingError(
      'tracking/write-failed',
      `the tracking store refused a write (${cause.code}: ${cause.message}) for run ${this.runId}; ${state}. ` +
        `Lost: ${what} and everything the run would have recorded after it (later metrics, the checkpoint, the report).`,
      cause,
    );
  }

  private async guard(what: string, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (error) {
      if (isStoreWriteError(error)) this.lost ??= { what, error };
      throw error;
    }
  }
}
