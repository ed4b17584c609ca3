/**
 * Reads a YAML file into plain data plus, for every key path, where its key and value are written,
 * so that any later problem (schema, plugin, override) points at the user's line and column.
 */
import { readFileSync, statSync } from 'node:fs';
import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, visit, type Node } from 'yaml';
import { Problem, type SourceLocation } from '../errors.js';

/** Where a config entry is written: its key (for "unknown key") and its value (for "wrong value"). */
export interface EntrySource {
  readonly key: SourceLocation;
  readonly value: SourceLocation;
}

/** Dotted key path → where it is written. The root entry has the key `""`. */
export type SourceMap = Map<string, EntrySource>;

export interface YamlSource {
  readonly file: string;
  readonly data: unknown;
  readonly sources: SourceMap;
  /** The file has no content: nothing but blank lines and comments (or a lone `null`). */
  readonly empty: boolean;
}

export function joinPath(parent: string, key: string | number): string {
  return parent === '' ? String(key) : `${parent}.${key}`;
}

/** Bounds on what a config or sweep file may hold, so that a hostile file is refused, fast. */
export const YAML_LIMITS = {
  /** Files larger than this are refused before parsing (run configs and sweeps are a few KB). */
  maxBytes: 1 << 20,
  /** Nodes an alias may expand to (the `yaml` library's `maxAliasCount`): stops "billion laughs". */
  maxAliasCount: 100,
  /** Mappings and lists nested deeper than this are refused. */
  maxDepth: 64,
} as const;

/** Keys that would reach an object's prototype once the data is merged. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Parses `text` (from `file`); YAML syntax errors come back as problems with their position. */
export function parseYaml(text: string, file: string): YamlSource | { problems: Problem[] } {
  const tooDeep = flowDepthProblem(text, file);
  if (tooDeep) return { problems: [tooDeep] };
  const lineCounter = new LineCounter();
  let document;
  try {
    // Duplicate keys are found by `recordSources` in one pass: the library's own check is quadratic.
    document = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: false });
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return { problems: [deepNestingProblem(file, deepestLine(text))] };
  }
  const overflow = document.errors.find((error) => error.message.includes('Maximum call stack size exceeded'));
  if (overflow) return { problems: [deepNestingProblem(file, overflow.linePos?.[0].line ?? deepestLine(text))] };
  if (document.errors.length > 0) {
    return {
      problems: document.errors.map((error) => {
        const position = error.linePos?.[0];
        return new Problem({
          code: 'yaml-syntax',
          message: `YAML syntax error: ${firstLine(error.message)}`,
          location: { file, line: position?.line, column: position?.col },
        });
      }),
    };
  }
  const locate = (node: Node | null | undefined, fallback: SourceLocation): SourceLocation => {
    if (!node?.range) return fallback;
    const position = lineCounter.linePos(node.range[0]);
    return { file, line: position.line, column: position.col };
  };
  const sources: SourceMap = new Map();
  const root = locate(document.contents, { file, line: 1, column: 1 });
  sources.set('', { key: root, value: root });
  const problems: Problem[] = [];
  recordSources(document.contents, '', 0, { sources, locate, problems }, root);
  if (problems.length > 0) return { problems };
  let data: unknown;
  try {
    data = document.toJS({ maxAliasCount: YAML_LIMITS.maxAliasCount });
  } catch (error) {
    if (!(error instanceof ReferenceError) && !(error instanceof RangeError)) throw error;
    const alias = firstAlias(document.contents);
    return {
      problems: [
        new Problem({
          code: 'yaml-aliases',
          message: `YAML aliases expand to too many nodes (more than ${YAML_LIMITS.maxAliasCount} per anchor): refused as a resource exhaustion attack ("billion laughs")`,
          location: alias ? locate(alias, root) : root,
          hint: 'write the values out, or use fewer aliases',
        }),
      ],
    };
  }
  return { file, data: data ?? null, sources, empty: document.contents === null || data === null || data === undefined };
}

/** Reads and parses `file`; refuses files that are too large, hold NUL bytes or are not UTF-8. */
export function readYamlFile(file: string): YamlSource | { problems: Problem[] } {
  let bytes: Buffer;
  try {
    const size = statSync(file).size;
    if (size > YAML_LIMITS.maxBytes) {
      return {
        problems: [
          new Problem({
            code: 'file-too-large',
            message: `the file has ${size} bytes; attnlab reads config and sweep files of at most ${YAML_LIMITS.maxBytes} bytes`,
            location: { file },
          }),
        ],
      };
    }
    bytes = readFileSync(file);
  } catch (error) {
    return {
      problems: [
        new Problem({ code: 'file-unreadable', message: `cannot read ${file}: ${(error as Error).message}`, location: { file } }),
      ],
    };
  }
  const text = decodeText(bytes, file);
  return typeof text === 'string' ? parseYaml(text, file) : { problems: [text] };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** The file's text, or a problem at the line of its first NUL byte or invalid UTF-8 sequence. */
export function decodeText(bytes: Uint8Array, file: string): string | Problem {
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    const { line, column } = positionOf(bytes, nul);
    return new Problem({ code: 'file-binary', message: 'the file holds a NUL byte: it is not a text file', location: { file, line, column } });
  }
  try {
    return strictUtf8.decode(bytes);
  } catch {
    const offset = firstInvalidUtf8(bytes);
    const { line, column } = positionOf(bytes, offset);
    return new Problem({
      code: 'file-encoding',
      message: `byte 0x${bytes[offset].toString(16).padStart(2, '0')} is not valid UTF-8`,
      location: { file, line, column },
      hint: 'save the file as UTF-8',
    });
  }
}

function positionOf(bytes: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** Offset of the first byte that does not start or continue a well-formed UTF-8 sequence. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const lead = bytes[i];
    const length = lead < 0x80 ? 1 : lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
    if (length === 0) return i;
    if (length > 1) {
      const sequence = bytes.subarray(i, i + length);
      if (sequence.length < length) return i;
      try {
        strictUtf8.decode(sequence);
      } catch {
        return i;
      }
    }
    i += length;
  }
  return bytes.length - 1;
}

/** Flow collections (`[[[[…`) nested deeper than the limit, found before the parser recurses into them. */
function flowDepthProblem(text: string, file: string): Problem | undefined {
  let depth = 0;
  let line = 1;
  let quote = '';
  let comment = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '\n') {
      line++;
      comment = false;
      continue;
    }
    if (comment) continue;
    if (quote) {
      if (char === quote) {
        if (quote === "'" && text[i + 1] === "'") i++;
        else quote = '';
      } else if (quote === '"' && char === '\\') i++;
      continue;
    }
    if (char === '#' && (i === 0 || /\s/.test(text[i - 1]))) comment = true;
    else if ((char === '"' || char === "'") && (depth > 0 || i === 0 || /[\s:[{,-]/.test(text[i - 1]))) quote = char;
    else if (char === '[' || char === '{') {
      if (++depth > YAML_LIMITS.maxDepth) return deepNestingProblem(file, line);
    } else if ((char === ']' || char === '}') && depth > 0) depth--;
  }
  return undefined;
}

function deepNestingProblem(file: string, line: number): Problem {
  return new Problem({
    code: 'nested-too-deep',
    message: `nested too deep: attnlab reads at most ${YAML_LIMITS.maxDepth} levels of mappings and lists`,
    location: { file, line, column: 1 },
  });
}

/** The line whose content starts furthest right, counting compact `- ` indicators as levels. */
function deepestLine(text: string): number {
  let best = { line: 1, depth: -1 };
  text.split('\n').forEach((content, index) => {
    const depth = /^[\s?:-]*/.exec(content)?.[0].length ?? 0;
    if (depth > best.depth) best = { line: index + 1, depth };
  });
  return best.line;
}

function firstAlias(node: unknown): Node | undefined {
  let found: Node | undefined;
  if (isNode(node)) {
    visit(node, {
      Alias: (_, alias) => {
        found = alias;
        return visit.BREAK;
      },
    });
  }
  return found;
}

interface RecordContext {
  readonly sources: SourceMap;
  readonly locate: (node: Node | null | undefined, fallback: SourceLocation) => SourceLocation;
  readonly problems: Problem[];
}

/** Records where every key and item is written; finds duplicate, forbidden and non-scalar keys, and nesting too deep. */
function recordSources(node: Node | null | undefined, path: string, depth: number, context: RecordContext, fallback: SourceLocation): void {
  const { sources, locate, problems } = context;
  if ((isMap(node) || isSeq(node)) && depth >= YAML_LIMITS.maxDepth) {
    problems.push(deepNestingProblem(fallback.file, locate(node, fallback).line ?? 1));
    return;
  }
  if (isMap(node)) {
    const seen = new Map<string, SourceLocation>();
    for (const pair of node.items) {
      const keyLocation = locate(pair.key as Node, fallback);
      if (!isScalar(pair.key) || pair.key.value === null || typeof pair.key.value === 'object') {
        problems.push(new Problem({ code: 'key-not-scalar', message: 'a key must be a plain name, not a list, a mapping or null', path: path || undefined, location: keyLocation }));
        continue;
      }
      const key = String(pair.key.value);
      const childPath = joinPath(path, key);
      if (FORBIDDEN_KEYS.has(key)) {
        problems.push(
          new Problem({
            code: 'forbidden-key',
            message: `the key "${key}" is not allowed (it would reach the object prototype)`,
            path: childPath,
            location: keyLocation,
          }),
        );
        continue;
      }
      const first = seen.get(key);
      if (first) {
        problems.push(
          new Problem({
            code: 'duplicate-key',
            message: `duplicate key "${key}": first at line ${first.line}, again at line ${keyLocation.line}`,
            path: childPath,
            location: keyLocation,
            hint: 'keep one of them',
          }),
        );
        continue;
      }
      seen.set(key, keyLocation);
      sources.set(childPath, { key: keyLocation, value: locate(pair.value as Node, keyLocation) });
      recordSources(pair.value as Node, childPath, depth + 1, context, keyLocation);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, index) => {
      const location = locate(item as Node, fallback);
      const childPath = joinPath(path, index);
      sources.set(childPath, { key: location, value: location });
      recordSources(item as Node, childPath, depth + 1, context, location);
    });
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}
