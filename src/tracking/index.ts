/** Tracking to MLflow: the API the CLI and the training loop use. */
export { openTracker, resolveTrackingTarget, resolveExperimentName, DEFAULT_FILE_STORE, DEFAULT_EXPERIMENT } from './tracker.js';
export type { Tracker, OpenTrackerOptions, EndStatus, RunStatus, TrackingTarget } from './tracker.js';
export { syncJournals, DEFAULT_JOURNAL_DIR, DEFAULT_RETRY } from './journal.js';
export type { SyncOptions, SyncReport, JournalSyncResult, JournalOutcome, RetryPolicy } from './journal.js';
export { listRuns } from './runs.js';
export type { RunSummary, ListRunsOptions } from './runs.js';
export { flattenParams, standardTags, installSignalHandlers, TAG_BACKEND, TAG_CONFIG_HASH } from './run-record.js';
export type { StandardTagsOptions, SignalHandlerOptions } from './run-record.js';
export { TrackingError, MLFLOW_LIMITS } from './validation.js';
export { MlflowApiError } from './rest.js';
