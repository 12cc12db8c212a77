import * as nodeModule from 'node:module';

/**
 * A plugin declares @earshot/sdk as a peer dependency (sdk/README.md), so a plugin folder in
 * `plugins.dirs` usually has no node_modules of its own, and Node, looking up from the
 * plugin's folder, cannot find the package. The daemon has it: a resolve hook
 * (https://nodejs.org/api/module.html#customization-hooks) resolves `@earshot/sdk` (and its
 * subpaths) from the daemon's own modules when the plugin's folder does not provide it. A
 * plugin that ships its own copy keeps it.
 */
const HOOK = `
let daemonModule;
export function initialize(data) { daemonModule = data.daemonModule; }
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (err) {
    const sdk = specifier === '@earshot/sdk' || specifier.startsWith('@earshot/sdk/');
    if (!sdk || err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
    return next(specifier, { ...context, parentURL: daemonModule });
  }
}`;

/** Whether this thread has the hook; it is registered once per thread, on first need. */
let registered = false;

/**
 * Make `@earshot/sdk` importable by the plugin whose main module is `main`. The hook is
 * registered only when the plugin cannot find the SDK itself: every module load after it in
 * this thread goes through it, and built-in plugins (which find it) do not need that.
 */
export function provideSdkTo(main: string): void {
  if (registered) return;
  try {
    nodeModule.createRequire(main).resolve('@earshot/sdk');
    return;
  } catch {
    // Not found from the plugin's folder: the hook below provides it.
  }
  // module.register came in Node 20.6; a named import of it would stop this file (and every
  // plugin with it) from loading on an older 20. There the plugin must bring the SDK itself.
  if (typeof nodeModule.register !== 'function') return;
  nodeModule.register(`data:text/javascript,${encodeURIComponent(HOOK)}`, { data: { daemonModule: import.meta.url } });
  registered = true;
}
