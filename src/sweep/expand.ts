/**
 * Expands a sweep into trials: the cartesian product of the grid axes, each zip group's aligned
 * values, then the seeds — in file order, so trial numbers are stable while axes only grow.
 */
import type { Override } from '../config/load.js';
import type { SweepFile } from './sweep-file.js';

export interface TrialSpec {
  /** 0-based position in the sweep. */
  readonly index: number;
  /** What this trial sets on top of the base config, in axis order. */
  readonly overrides: readonly Override[];
}

type Axis = readonly (readonly [string, unknown][])[];

export function expandTrials(sweep: Pick<SweepFile, 'grid' | 'zip' | 'seeds'>): TrialSpec[] {
  const axes: Axis[] = [
    ...Object.entries(sweep.grid).map(([key, values]): Axis => values.map((value) => [[key, value]] as const)),
    ...sweep.zip.map((group): Axis => {
      const entries = Object.entries(group);
      return entries[0][1].map((_, position) => entries.map(([key, values]) => [key, values[position]] as [string, unknown]));
    }),
    ...(sweep.seeds ? [sweep.seeds.map((seed): readonly [string, unknown][] => [['seed', seed]])] : []),
  ];
  let combinations: [string, unknown][][] = [[]];
  for (const axis of axes) {
    combinations = combinations.flatMap((combination) => axis.map((settings) => [...combination, ...settings]));
  }
  return combinations.map((settings, index) => ({
    index,
    overrides: settings.map(([path, value]) => ({ path, value, text: `${path}=${JSON.stringify(value)}` })),
  }));
}
