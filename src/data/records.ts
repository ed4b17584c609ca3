/**
 * Labelled texts read from a user's own files: CSV/TSV (any delimiter), JSONL, Parquet, or one
 * folder per class. Every reader streams (a `.gz` file is decompressed on the fly) and yields one
 * {@link RawRecord} at a time with where it came from, so that a bad value is reported by file,
 * line (CSV record, JSONL line, Parquet row) and column.
 */
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parse } from 'csv-parse';
import { AttnlabError, closest } from '../errors.js';
import type { DataFormat, RecordReadOptions } from '../plugin-api.js';

/** Bad input data, located: file, line (or Parquet row), column. Exit code 2. */
export class InputError extends AttnlabError {
  readonly file: string;
  readonly line?: number;
  readonly column?: string;

  constructor(code: string, where: { readonly file: string; readonly line?: number; readonly unit?: string; readonly column?: string }, message: string, cause?: unknown) {
    const line = where.line === undefined ? '' : where.unit === 'row' ? `: row ${where.line}` : `:${where.line}`;
    const column = where.column === undefined ? '' : `: column "${where.column}"`;
    super(code, `${where.file}${line}${column}: ${message}`, { exitCode: 2, cause });
    this.name = 'InputError';
    this.file = where.file;
    this.line = where.line;
    this.column = where.column;
  }
}

/** One row as read, before its text and label are checked. */
export interface RawRecord {
  readonly file: string;
  /** 1-based line of a CSV record's start or a JSONL line; 1-based row of a Parquet file; absent for a file of a class folder. */
  readonly line?: number;
  readonly unit: 'line' | 'row' | 'file';
  readonly text: unknown;
  /** Absent when the reader was asked for no label (scoring new texts). */
  readonly label?: unknown;
}

/** Rows of `file` in `format`; `folders` reads a folder of class folders. */
export function readRecords(format: DataFormat, file: string, options: RecordReadOptions): AsyncGenerator<RawRecord> {
  switch (format) {
    case 'csv':
      return readCsv(file, options);
    case 'jsonl':
      return readJsonl(file, options);
    case 'parquet':
      return readParquet(file, options);
    case 'folders':
      return readFolders(file, options);
  }
}

/** The format of a file from its name: `.csv`, `.tsv`, `.jsonl`/`.ndjson`, `.parquet` (each optionally `.gz`), else a folder. */
export function formatOf(file: string): { format: DataFormat; delimiter?: string } | undefined {
  const name = file.toLowerCase().replace(/\.gz$/, '');
  if (name.endsWith('.csv')) return { format: 'csv', delimiter: ',' };
  if (name.endsWith('.tsv') || name.endsWith('.tab')) return { format: 'csv', delimiter: '\t' };
  if (name.endsWith('.jsonl') || name.endsWith('.ndjson') || name.endsWith('.json')) return { format: 'jsonl' };
  if (name.endsWith('.parquet')) return { format: 'parquet' };
  return undefined;
}

/** `file`'s bytes, gunzipped when it ends in `.gz`; `-` is standard input. */
export function openBytes(file: string): Readable {
  const raw = file === '-' ? process.stdin : createReadStream(file, { highWaterMark: 1 << 20 });
  if (!file.endsWith('.gz')) return raw;
  const gunzip = createGunzip({ chunkSize: 1 << 18 });
  raw.on('error', (error: Error) => gunzip.destroy(error));
  return raw.pipe(gunzip);
}

function displayName(file: string): string {
  return file === '-' ? '<stdin>' : file;
}

/** Throws a located error naming the file when it is missing or unreadable. */
async function checkReadable(file: string): Promise<void> {
  if (file === '-') return;
  await stat(file).catch((error: unknown) => {
    throw new InputError('data-missing', { file }, 'no such file; give its path relative to the config file (or an absolute one)', error);
  });
}

/** The index of `column` (a name in the header, or a 0-based index) in `header`. */
function columnIndex(column: string | number, header: readonly string[] | undefined, where: { file: string; line: number }, key: string): number {
  if (typeof column === 'number') {
    const width = header?.length;
    if (width !== undefined && column >= width) {
      throw new InputError('data-column-missing', { ...where, column: String(column) }, `${key}: the file has ${width} columns (0 to ${width - 1})`);
    }
    return column;
  }
  if (!header) throw new InputError('data-column-missing', { ...where, column }, `${key}: the file has no header row (header: false); give the column's index instead`);
  const index = header.indexOf(column);
  if (index < 0) {
    const guess = closest(column, header);
    throw new InputError(
      'data-column-missing',
      { ...where, column },
      `${key}: no such column in the header${guess ? `; did you mean "${guess}"?` : ''} (columns: ${header.map((name) => `"${name}"`).join(', ')})`,
    );
  }
  return index;
}

async function* readCsv(file: string, options: RecordReadOptions): AsyncGenerator<RawRecord> {
  await checkReadable(file);
  const name = displayName(file);
  const parser = openBytes(file).pipe(
    parse({
      bom: true,
      delimiter: options.delimiter ?? formatOf(file)?.delimiter ?? ',',
      quote: options.quote === '' ? false : (options.quote ?? '"'),
      info: true,
      skip_empty_lines: true,
      relax_column_count: false,
    }),
  );
  let header: string[] | undefined;
  let textAt = -1;
  let labelAt = -1;
  let width = -1;
  let previousEnd = 0;
  let records = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number; raw?: string } }>) {
      const line = firstLine(previousEnd, info.lines, record);
      previousEnd = info.lines;
      if (width < 0) {
        width = record.length;
        const hasHeader = options.header ?? true;
        if (hasHeader) header = record.map((cell) => cell.trim());
        const where = { file: name, line };
        textAt = columnIndex(options.text, header, where, 'text');
        labelAt = options.label === undefined ? -1 : columnIndex(options.label, header, where, 'label');
        if (hasHeader) continue;
      }
      records++;
      yield { file: name, line, unit: 'line', text: record[textAt], label: labelAt < 0 ? undefined : record[labelAt] };
    }
  } catch (error) {
    if (error instanceof AttnlabError) throw error;
    const csvError = error as Error & { code?: string; lines?: number; record?: unknown[] };
    if (csvError.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH') {
      const found = csvError.record?.length ?? 0;
      throw new InputError('data-ragged-row', { file: name, line: csvError.lines }, `${found} fields where the first row has ${width}; quote fields that hold the delimiter ("${options.delimiter ?? formatOf(file)?.delimiter ?? ','}")`, error);
    }
    if (csvError.code?.startsWith('CSV_')) {
      throw new InputError('data-malformed', { file: name, line: csvError.lines }, `malformed CSV: ${csvError.message.replace(/^Invalid [^:]*: /, '')}`, error);
    }
    throw new InputError('data-unreadable', { file: name }, (error as Error).message, error);
  }
  if (width < 0 || records === 0) throw new InputError('data-empty', { file: name }, header ? 'the file has a header but no rows' : 'the file is empty');
}

/** Where a record began: after the line the previous one ended on, past any empty lines (whose count csv-parse does not report apart). */
function firstLine(previousEnd: number, end: number, record: readonly string[]): number {
  const spanned = record.reduce((lines, cell) => lines + (cell.match(/\n/g)?.length ?? 0), 0);
  return Math.max(previousEnd + 1, end - spanned);
}

/** `a.b.c` in a parsed JSON object. */
function getPath(value: unknown, path: string): unknown {
  let current = value;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function missingField(object: object, field: string, where: { file: string; line: number }, key: string): InputError {
  const keys = Object.keys(object);
  const guess = closest(field, keys);
  return new InputError('data-column-missing', { ...where, column: field }, `${key}: no such field${guess ? `; did you mean "${guess}"?` : ''} (fields: ${keys.join(', ')})`);
}

async function* readJsonl(file: string, options: RecordReadOptions): AsyncGenerator<RawRecord> {
  await checkReadable(file);
  const name = displayName(file);
  const lines = createInterface({ input: openBytes(file), crlfDelay: Infinity });
  let lineNumber = 0;
  let records = 0;
  const textField = String(options.text);
  const labelField = options.label === undefined ? undefined : String(options.label);
  for await (let line of lines) {
    lineNumber++;
    if (lineNumber === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new InputError('data-malformed', { file: name, line: lineNumber }, `malformed JSON (${(error as Error).message}); each line must hold one JSON object`, error);
    }
    const where = { file: name, line: lineNumber };
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InputError('data-malformed', where, `expected a JSON object, found ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`);
    const text = getPath(value, textField);
    if (text === undefined) throw missingField(value, textField, where, 'text');
    const label = labelField === undefined ? undefined : getPath(value, labelField);
    if (labelField !== undefined && label === undefined) throw missingField(value, labelField, where, 'label');
    records++;
    yield { file: name, line: lineNumber, unit: 'line', text, label };
  }
  if (records === 0) throw new InputError('data-empty', { file: name }, 'the file is empty');
}

async function* readParquet(file: string, options: RecordReadOptions): AsyncGenerator<RawRecord> {
  await checkReadable(file);
  const { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema } = await import('hyparquet');
  const { compressors } = await import('hyparquet-compressors');
  const buffer = await asyncBufferFromFile(file);
  const metadata = await parquetMetadataAsync(buffer).catch((error: unknown) => {
    throw new InputError('data-malformed', { file }, `not a Parquet file (${(error as Error).message})`, error);
  });
  const columns = parquetSchema(metadata).children.map((child) => child.element.name);
  const textColumn = String(options.text);
  const labelColumn = options.label === undefined ? undefined : String(options.label);
  for (const [key, column] of [['text', textColumn], ['label', labelColumn]] as const) {
    if (column === undefined || columns.includes(column)) continue;
    const guess = closest(column, columns);
    throw new InputError('data-column-missing', { file, column }, `${key}: no such column${guess ? `; did you mean "${guess}"?` : ''} (columns: ${columns.join(', ')})`);
  }
  const total = Number(metadata.num_rows);
  if (total === 0) throw new InputError('data-empty', { file }, 'the file has no rows');
  let rowStart = 0;
  // One row group at a time keeps memory bounded by the largest group, not the file.
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    let rows: Record<string, unknown>[] = [];
    await parquetRead({
      file: buffer,
      metadata,
      compressors,
      rowStart,
      rowEnd,
      columns: labelColumn === undefined ? [textColumn] : [textColumn, labelColumn],
      rowFormat: 'object',
      onComplete: (result) => {
        rows = result;
      },
    });
    for (let index = 0; index < rows.length; index++) {
      const row = rows[index];
      const label = labelColumn === undefined ? undefined : row[labelColumn];
      yield { file, line: rowStart + index + 1, unit: 'row', text: row[textColumn], label: typeof label === 'bigint' ? Number(label) : label };
    }
    rowStart = rowEnd;
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * `root/<class>/<file>`: each file one text, its folder its label. Files and folders starting with
 * `.` are skipped; the order is sorted, so that it does not depend on the file system.
 */
async function* readFolders(root: string, options: RecordReadOptions): AsyncGenerator<RawRecord> {
  const entries = await readdir(root, { withFileTypes: true }).catch((error: unknown) => {
    throw new InputError('data-missing', { file: root }, 'no such folder; give a folder holding one folder per class', error);
  });
  const classes = entries.filter((entry) => entry.isDirectory() && !entry.name.startsWith('.')).map((entry) => entry.name).sort();
  if (classes.length === 0) throw new InputError('data-empty', { file: root }, 'no class folders in it (expected root/<class>/<file>)');
  let records = 0;
  for (const label of classes) {
    const names = (await readdir(join(root, label), { withFileTypes: true }))
      .filter((entry) => entry.isFile() && !entry.name.startsWith('.'))
      .map((entry) => entry.name)
      .sort();
    for (const name of names) {
      const path = join(root, label, name);
      const bytes = await readFile(path);
      let text: string;
      if (options.encoding === 'latin1') text = new TextDecoder('latin1').decode(bytes);
      else {
        try {
          text = strictUtf8.decode(bytes);
        } catch (error) {
          const at = firstInvalidUtf8(bytes);
          throw new InputError('data-encoding', { file: path }, `not valid UTF-8 (byte 0x${bytes[at].toString(16).padStart(2, '0')} at offset ${at}); convert the file to UTF-8 or set encoding: latin1`, error);
        }
      }
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      records++;
      yield { file: relative(process.cwd(), path) || path, unit: 'file', text: text.replace(/\r\n?/g, '\n'), label: options.label === undefined ? undefined : label };
    }
  }
  if (records === 0) throw new InputError('data-empty', { file: root }, 'the class folders hold no files');
}

function firstInvalidUtf8(bytes: Uint8Array): number {
  let low = 0;
  let high = bytes.length;
  while (high - low > 1) {
    const middle = (low + high) >> 1;
    try {
      new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(0, middle), { stream: true });
      low = middle;
    } catch {
      high = middle;
    }
  }
  return low;
}
