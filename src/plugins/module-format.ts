/**
 * Imports a user's plugin file as an ES module whatever folder it sits in. Node (and tsx after it)
 * picks a `.ts`/`.js` file's format from the nearest package.json, so a plugin in a folder without
 * `"type": "module"` would load as CommonJS: its `export default` lands under `.default.default`
 * and a top-level `await` is a syntax error. A resolve hook, registered after tsx's, marks the
 * plugin file and the relative files it imports as modules.
 */
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';

/** The query that marks a URL as part of a plugin; it survives into the module's `import.meta.url`. */
export const PLUGIN_URL_MARK = 'attnlab-plugin';

/**
 * Runs in Node's loader thread, so it is plain JavaScript with no import of ours. Only `file:` URLs
 * of JavaScript or TypeScript that a marked module (or the plugin itself) names, outside
 * `node_modules`, are marked; a `.cjs`/`.cts` file keeps the format its extension declares.
 */
const HOOKS = `
const MARK = ${JSON.stringify(PLUGIN_URL_MARK)};
const marked = (url) => typeof url === 'string' && url.startsWith('file:') && new URL(url).searchParams.has(MARK);
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  const fromPlugin = marked(context.parentURL) && (specifier.startsWith('.') || specifier.startsWith('file:') || specifier.startsWith('/'));
  if (!(marked(specifier) || fromPlugin) || !result.url.startsWith('file:') || result.url.includes('/node_modules/')) return result;
  const url = new URL(result.url);
  // tsx took the file for CommonJS and tagged its URL for its CommonJS path; drop those tags.
  url.pathname = url.pathname.replace(/%3Ftsx-.*$/, '');
  url.search = '';
  if (!/\\.(m?[jt]s|[jt]sx)$/.test(url.pathname)) return result;
  url.searchParams.set(MARK, '');
  return { ...result, url: url.href, format: 'module' };
}
`;

let hooks: Promise<void> | undefined;

/** tsx's hooks (unless the process already runs under tsx), then ours after them, once per process. */
function installHooks(): Promise<void> {
  return (hooks ??= (async () => {
    if (!process.execArgv.some((argument) => argument.includes('tsx'))) {
      const { register: registerTsx } = await import('tsx/esm/api');
      registerTsx();
    }
    register(`data:text/javascript,${encodeURIComponent(HOOKS)}`);
  })());
}

/** The module namespace of `file`, loaded as an ES module (TypeScript included, no build step). */
export async function importAsModule(file: string): Promise<Record<string, unknown>> {
  await installHooks();
  const url = pathToFileURL(file);
  url.searchParams.set(PLUGIN_URL_MARK, '');
  return (await import(url.href)) as Record<string, unknown>;
}
