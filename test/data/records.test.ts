import test from 'ava';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { loadFileDataset } from '../../src/data/files.js';
import { InputError, readRecords, type RawRecord } from '../../src/data/records.js';
import type { DataFormat, FileDatasetSpec, RecordReadOptions } from '../../src/plugin-api.js';
import { silentProgress } from '../../src/progress.js';

const folder = mkdtempSync(join(tmpdir(), 'attnlab-records-'));

function file(name: string, content: string | Uint8Array): string {
  const path = join(folder, name);
  writeFileSync(path, content);
  return path;
}

function parquet(name: string, columns: { name: string; data: unknown[] | Int32Array; type: 'STRING' | 'INT32' }[]): string {
  return file(name, new Uint8Array(parquetWriteBuffer({ columnData: columns as never, rowGroupSize: 2 })));
}

async function read(format: DataFormat, path: string, options: Partial<RecordReadOptions> = {}): Promise<RawRecord[]> {
  const rows: RawRecord[] = [];
  for await (const row of readRecords(format, path, { text: 'text', label: 'label', ...options })) rows.push(row);
  return rows;
}

const pairs = (rows: readonly RawRecord[]) => rows.map((row) => [row.line, row.text, row.label]);

test('CSV: quoted delimiters, doubled quotes, multi-line fields, a BOM and blank lines; each record keeps its first line', async (t) => {
  const path = file('quoted.csv', '\ufefftext,label\n"hello, world",pos\n"two\nlines with ""quotes""",neg\n\nplain,pos\n');
  t.deepEqual(pairs(await read('csv', path)), [
    [2, 'hello, world', 'pos'],
    [3, 'two\nlines with "quotes"', 'neg'],
    [6, 'plain', 'pos'],
  ]);
});

test('CSV: .gz is decompressed on the fly; .tsv splits on tabs; header-less files take column indices and lose their BOM', async (t) => {
  t.deepEqual(pairs(await read('csv', file('small.csv.gz', gzipSync('label,text\npos,"a, b"\nneg,c\n')))), [[2, 'a, b', 'pos'], [3, 'c', 'neg']]);
  t.deepEqual(pairs(await read('csv', file('small.tsv', 'text\tlabel\na, b\tpos\n'))), [[2, 'a, b', 'pos']]);
  t.deepEqual(pairs(await read('csv', file('bare.csv', '\ufefffirst,pos\nsecond,neg\n'), { header: false, text: 0, label: 1 })), [[1, 'first', 'pos'], [2, 'second', 'neg']]);
});

test('JSONL: dotted fields reach nested objects; .gz, a BOM and blank lines are fine', async (t) => {
  const lines = '\ufeff{"review":{"body":"great"},"stars":5}\n\n{"review":{"body":"bad"},"stars":1}\n';
  t.deepEqual(pairs(await read('jsonl', file('nested.jsonl.gz', gzipSync(lines)), { text: 'review.body', label: 'stars' })), [[1, 'great', 5], [3, 'bad', 1]]);
});

test('Parquet: string and integer label columns, read one row group at a time, rows numbered from 1', async (t) => {
  const path = parquet('hf.parquet', [
    { name: 'text', data: ['a', 'b', 'c'], type: 'STRING' },
    { name: 'label', data: Int32Array.from([1, 0, 1]), type: 'INT32' },
  ]);
  t.deepEqual(pairs(await read('parquet', path)), [[1, 'a', 1], [2, 'b', 0], [3, 'c', 1]]);
});

test('folders: one folder per class, files sorted, a BOM dropped and CRLF read as LF', async (t) => {
  const root = join(folder, 'classes');
  for (const [label, name, text] of [['spam', 'b.txt', 'buy\r\nnow'], ['ham', 'a.txt', '\ufeffhello'], ['spam', 'a.txt', 'win']]) {
    mkdirSync(join(root, label), { recursive: true });
    writeFileSync(join(root, label, name), text);
  }
  const rows = await read('folders', root);
  t.deepEqual(rows.map((row) => [row.text, row.label]), [['hello', 'ham'], ['win', 'spam'], ['buy\nnow', 'spam']]);
});

/** Bad input: each case names its file, line and column, with a stable code and exit code 2. */
const badInput: { name: string; format: DataFormat; make: () => string; options?: Partial<FileDatasetSpec>; code: string; where: RegExp }[] = [
  { name: 'CSV missing column, with did-you-mean', format: 'csv', make: () => file('cols.csv', 'txt,label\na,pos\n'), code: 'data-column-missing', where: /cols\.csv:1: column "text": text: no such column in the header; did you mean "txt"\?/ },
  { name: 'CSV ragged row', format: 'csv', make: () => file('ragged.csv', 'text,label\na,pos\nb,neg,extra\n'), code: 'data-ragged-row', where: /ragged\.csv:3: 3 fields where the first row has 2/ },
  { name: 'CSV empty text', format: 'csv', make: () => file('blank.csv', 'text,label\na,pos\n"  ",neg\n'), code: 'data-text-empty', where: /blank\.csv:3: column "text": the text is empty/ },
  { name: 'CSV empty file', format: 'csv', make: () => file('empty.csv', ''), code: 'data-empty', where: /empty\.csv: the file is empty/ },
  { name: 'CSV header only', format: 'csv', make: () => file('header.csv', 'text,label\n'), code: 'data-empty', where: /header\.csv: the file has a header but no rows/ },
  { name: 'JSONL malformed JSON', format: 'jsonl', make: () => file('bad.jsonl', '{"text":"a","label":"x"}\n{"text": "b", label}\n'), code: 'data-malformed', where: /bad\.jsonl:2: malformed JSON/ },
  { name: 'JSONL non-string text', format: 'jsonl', make: () => file('number.jsonl', '{"text":"a","label":"x"}\n{"text":42,"label":"y"}\n'), code: 'data-text-type', where: /number\.jsonl:2: column "text": the text must be a string, found number 42/ },
  { name: 'JSONL missing field, with did-you-mean', format: 'jsonl', make: () => file('field.jsonl', '{"text":"a","lable":"x"}\n'), code: 'data-column-missing', where: /field\.jsonl:1: column "label": label: no such field; did you mean "lable"\?/ },
  { name: 'JSONL empty file', format: 'jsonl', make: () => file('empty.jsonl', '\n\n'), code: 'data-empty', where: /empty\.jsonl: the file is empty/ },
  { name: 'Parquet missing column, with did-you-mean', format: 'parquet', make: () => parquet('cols.parquet', [{ name: 'sentence', data: ['a'], type: 'STRING' }, { name: 'label', data: ['x'], type: 'STRING' }]), options: { text: 'sentense' }, code: 'data-column-missing', where: /cols\.parquet: column "sentense": text: no such column; did you mean "sentence"\?/ },
  { name: 'Parquet integer label without a name', format: 'parquet', make: () => parquet('range.parquet', [{ name: 'text', data: ['a', 'b', 'c'], type: 'STRING' }, { name: 'label', data: Int32Array.from([0, 1, 2]), type: 'INT32' }]), options: { labels: ['neg', 'pos'] }, code: 'data-label-range', where: /range\.parquet: row 3: column "label": label 2 has no name/ },
  { name: 'folders: a file that is not UTF-8', format: 'folders', make: () => { const root = join(folder, 'latin'); mkdirSync(join(root, 'a'), { recursive: true }); mkdirSync(join(root, 'b'), { recursive: true }); writeFileSync(join(root, 'a', 'ok.txt'), 'fine'); writeFileSync(join(root, 'b', 'bad.txt'), Uint8Array.from([0x63, 0x61, 0x66, 0xe9])); return root; }, code: 'data-encoding', where: /latin\/b\/bad\.txt: not valid UTF-8 \(byte 0xe9 at offset 3\)/ },
];

for (const item of badInput) {
  test(`bad input: ${item.name}`, async (t) => {
    const path = item.make();
    const error = await t.throwsAsync(loadFileDataset(spec(item.format, path, item.options), context()), { instanceOf: InputError });
    t.is(error?.code, item.code);
    t.is(error?.exitCode, 2);
    t.regex(error?.message ?? '', item.where);
  });
}

function spec(format: DataFormat, train: string, overrides: Partial<FileDatasetSpec> = {}): FileDatasetSpec {
  return { format, train, text: 'text', label: 'label', valFraction: 0.25, testFraction: 0.25, trainLimit: 0, testLimit: 0, ...overrides };
}

function context() {
  return { cacheDir: folder, progress: silentProgress, seed: 3, configDir: folder };
}

