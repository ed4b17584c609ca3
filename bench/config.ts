/**
 * `npm run bench -- config`: how long hostile config files take to be refused — an alias bomb,
 * a 10 MB file of keys (refused by size) and a config of keys just under the size limit
 * (parsed and validated, every key an unknown-key problem) — with the heap they cost.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfigFile } from '../src/config/validate.js';
import { readYamlFile, YAML_LIMITS } from '../src/config/yaml-source.js';

/** A config of `count` keys, one a line. */
export function configOfKeys(bytes: number): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = `key${String(i).padStart(7, '0')}: ${i}\n`;
    if (size + line.length > bytes) break;
    lines.push(line);
    size += line.length;
  }
  return lines.join('');
}

export function aliasBomb(levels = 9): string {
  const lines = ['l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let level = 1; level < levels; level++) lines.push(`l${level}: &l${level} [${Array(9).fill(`*l${level - 1}`).join(', ')}]`);
  return `${lines.join('\n')}\n`;
}

export interface Refusal {
  readonly seconds: number;
  /** Growth of the V8 heap while refusing, in MB (after a GC when `--expose-gc` is on). */
  readonly heapMb: number;
  readonly problems: number;
}

/** Times the refusal of `text` written to a file: parsing alone, or parsing and validation. */
export async function measureRefusal(text: string, validate: boolean): Promise<Refusal> {
  const folder = mkdtempSync(join(tmpdir(), 'attnlab-bench-config-'));
  const file = join(folder, 'config.yaml');
  writeFileSync(file, text);
  (globalThis as { gc?: () => void }).gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const start = performance.now();
  let problems = 0;
  let peak = heapBefore;
  try {
    if (validate) {
      await resolveConfigFile(file).catch((error: { problems?: readonly unknown[] }) => {
        problems = error.problems?.length ?? 0;
      });
    } else {
      const parsed = readYamlFile(file);
      problems = 'problems' in parsed ? parsed.problems.length : 0;
    }
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
  return { seconds: (performance.now() - start) / 1000, heapMb: (peak - heapBefore) / 2 ** 20, problems };
}

export async function benchConfig(): Promise<void> {
  console.log('\nhostile config files (refusal time, heap growth):');
  const rows: [string, Refusal][] = [
    ['alias bomb, 9 levels (9^9 nodes)', await measureRefusal(aliasBomb(), false)],
    ['10 MB of keys (size limit)', await measureRefusal(configOfKeys(10 * 2 ** 20), true)],
    [`${(YAML_LIMITS.maxBytes / 2 ** 20).toFixed(0)} MB of keys, validated`, await measureRefusal(configOfKeys(YAML_LIMITS.maxBytes - 64), true)],
    ['256 KB of keys, validated', await measureRefusal(configOfKeys(2 ** 18), true)],
  ];
  for (const [label, { seconds, heapMb }] of rows) console.log(`  ${label.padEnd(36)} ${`${seconds.toFixed(2)} s`.padStart(8)} ${`${heapMb.toFixed(0)} MB`.padStart(8)}`);
}
