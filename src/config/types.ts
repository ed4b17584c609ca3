/** The resolved config: validated, defaults filled, frozen. Core code takes only this type. */
import type { PluginBlock } from '../plugin-api.js';
import type { BackendChoice } from '../nn/backend.js';

export interface TrainSettings {
  readonly epochs: number;
  readonly batch_size: number;
  readonly eval_batch_size: number;
  readonly max_length: number;
  readonly bucket_by_length: boolean;
  readonly lr: number;
  readonly optimizer: PluginBlock;
  readonly clip_norm: number;
  /** Kernel threads; undefined: all cores. */
  readonly threads?: number;
  readonly lr_decay: { readonly factor: number; readonly patience: number; readonly min_lr: number };
  readonly patience: number;
}

export interface ResolvedConfig {
  readonly name: string;
  readonly description?: string;
  readonly seed: number;
  readonly backend: BackendChoice;
  /** Absolute paths of user plugin files. */
  readonly plugins: readonly string[];
  readonly data: PluginBlock;
  readonly embeddings: PluginBlock;
  readonly model: PluginBlock;
  readonly regularizers: Readonly<Record<string, PluginBlock>>;
  readonly train: TrainSettings;
  readonly tracking: { readonly uri?: string; readonly experiment?: string };
}

/** A resolved config with where it came from. */
export interface ConfigFile {
  /** Absolute path of the config file the user named. */
  readonly file: string;
  readonly config: ResolvedConfig;
}
