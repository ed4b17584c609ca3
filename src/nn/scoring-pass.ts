/**
 * A scoring pass: batches run forward with weights that do not change from one to the next, so
 * layers may keep what they computed for one batch for the next ones (projections per word,
 * products with a kernel) and work from it. What they keep lasts until the outermost pass ends.
 */

let openPasses = 0;
const endOfPass: (() => void)[] = [];

/** Runs `score`, a pass over batches with unchanging weights; what layers kept for it is released after. */
export function whileScoring<T>(score: () => T): T {
  openPasses++;
  try {
    return score();
  } finally {
    openPasses--;
    if (openPasses === 0) for (const release of endOfPass.splice(0)) release();
  }
}

/** Whether a scoring pass is running. */
export const isScoring = (): boolean => openPasses > 0;

/** Runs `release` when the running scoring pass ends (at once when none runs). */
export function atEndOfPass(release: () => void): void {
  if (openPasses === 0) release();
  else endOfPass.push(release);
}
