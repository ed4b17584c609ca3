/**
 * Reads a YAML file into plain data plus, for every key path, where its key and value are written,
 * so that any later problem (schema, plugin, override) points at the user's line and column.
 */
import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
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
}

export function joinPath(parent: string, key: string | number): string {
  return parent === '' ? String(key) : `${parent}.${key}`;
}

/** Parses `text` (from `file`); YAML syntax errors come back as problems with their position. */
export function parseYaml(text: string, file: string): YamlSource | { problems: Problem[] } {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: true });
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
  recordSources(document.contents, '', sources, locate, root);
  return { file, data: document.toJS() ?? {}, sources };
}

export function readYamlFile(file: string): YamlSource | { problems: Problem[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return {
      problems: [
        new Problem({ code: 'file-unreadable', message: `cannot read ${file}: ${(error as Error).message}`, location: { file } }),
      ],
    };
  }
  return parseYaml(text, file);
}

function recordSources(
  node: Node | null | undefined,
  path: string,
  sources: SourceMap,
  locate: (node: Node | null | undefined, fallback: SourceLocation) => SourceLocation,
  fallback: SourceLocation,
): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const keyLocation = locate(pair.key as Node, fallback);
      const childPath = joinPath(path, key);
      sources.set(childPath, { key: keyLocation, value: locate(pair.value as Node, keyLocation) });
      recordSources(pair.value as Node, childPath, sources, locate, keyLocation);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, index) => {
      const location = locate(item as Node, fallback);
      const childPath = joinPath(path, index);
      sources.set(childPath, { key: location, value: location });
      recordSources(item as Node, childPath, sources, locate, location);
    });
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}
