/**
 * Imports a user's plugin file as an ES module whatever folder it sits in. Node (and tsx after it)
 * picks a `.ts`/`.js` file's format from the nearest package.json, so a plugin in a folder without
 * `"type": "module"` would load as CommonJS: its `export default` lands under `.default.default`
 * and a top-level `await` is a syntax error. A resolve hook, registered after tsx's, marks the
 * plugin file and the relative files it imports as modules. The same hook lets a file outside
 * attnlab import `attnlab/…`, `ava` and tfjs with no `node_modules` of its own: a bare name that
 * does not resolve from the file resolves to attnlab's own copy.
 */
import { register } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** attnlab's package folder: two levels above this module, in `src/` and in `dist/src/` alike. */
export const ATTNLAB_ROOT = fileURLToPath(new URL(import.meta.url.includes('/dist/src/') ? '../../../' : '../../', import.meta.url));

/** Bare names a user's file may import though only attnlab installed them. */
export const SHARED_PACKAGES = ['ava', '@tensorflow/tfjs', 'json-schema-to-ts'] as const;

/** The query that marks a URL as part of a plugin; it survives into the module's `import.meta.url`. */
export const PLUGIN_URL_MARK = 'attnlab-plugin';

/**
 * Runs in Node's loader thread, so it is plain JavaScript with no import of ours. Only `file:` URLs
 * of JavaScript or TypeScript that a marked module (or the plugin itself) names, outside
 * `node_modules`, are marked; a `.cjs`/`.cts` file keeps the format its extension declares.
 */
const HOOKS = `
const MARK = ${JSON.stringify(PLUGIN_URL_MARK)};
let root;
let entries = new Set();
export function initialize(data) { root = data.root; entries = new Set(data.entries); }
const marked = (url) => typeof url === 'string' && url.startsWith('file:') && new URL(url).searchParams.has(MARK);
async function resolveShared(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (error) {
    const bare = /^(@[^/]+\\/)?[^./][^/]*/.exec(specifier)?.[0];
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !bare || !(bare === 'attnlab' || ${JSON.stringify(SHARED_PACKAGES)}.includes(bare))) throw error;
    if (bare !== 'attnlab') return next(specifier, { ...context, parentURL: new URL('package.json', root).href });
    const rest = specifier.slice(bare.length);
    return next(new URL(rest === '' ? 'src/plugin-api.js' : '.' + rest, root).href, context);
  }
}
export async function resolve(specifier, context, next) {
  const result = await resolveShared(specifier, context, next);
  if (!result.url.startsWith('file:') || result.url.includes('/node_modules/')) return result;
  const url = new URL(result.url);
  // tsx took the file for CommonJS and tagged its URL for its CommonJS path; drop those tags.
  url.pathname = url.pathname.replace(/%3Ftsx-.*$/, '');
  url.search = '';
  const fromPlugin = marked(context.parentURL) && (specifier.startsWith('.') || specifier.startsWith('file:') || specifier.startsWith('/'));
  if (!(marked(specifier) || fromPlugin || entries.has(url.href)) || !/\\.(m?[jt]s|[jt]sx)$/.test(url.pathname)) return result;
  url.searchParams.set(MARK, '');
  return { ...result, url: url.href, format: 'module' };
}
`;

/** How a process attnlab starts learns which files {@link installHooks} loads as modules. */
export const ENTRIES_VARIABLE = 'ATTNLAB_MODULE_ENTRIES';

let hooks: Promise<void> | undefined;

/**
 * tsx's hooks (unless the process already runs under tsx), then ours after them, once per process.
 * `entries` are files (absolute paths) to load as modules beside plugins, e.g. a plugin's tests.
 */
export function installHooks(entries: readonly string[] = []): Promise<void> {
  return (hooks ??= (async () => {
    if (!process.execArgv.some((argument) => argument.includes('tsx'))) {
      const { register: registerTsx } = await import('tsx/esm/api');
      registerTsx();
    }
    register(`data:text/javascript,${encodeURIComponent(HOOKS)}`, {
      data: { root: pathToFileURL(ATTNLAB_ROOT).href, entries: entries.map((file) => pathToFileURL(file).href) },
    });
  })());
}

/** The module namespace of `file`, loaded as an ES module (TypeScript included, no build step). */
export async function importAsModule(file: string): Promise<Record<string, unknown>> {
  await installHooks();
  const url = pathToFileURL(file);
  url.searchParams.set(PLUGIN_URL_MARK, '');
  return (await import(url.href)) as Record<string, unknown>;
}
