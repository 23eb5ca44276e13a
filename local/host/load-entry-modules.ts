/**
 * Imports the app's entry modules with our `@azure/functions-core` in place and returns the
 * functions they registered, like the worker does when it loads `package.json#main`.
 */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { HostError } from './host-error.js';
import { installFunctionsCore, type RegisteredFunction } from './functions-core-injection.js';

function toModuleUrl(entry: string): string {
  if (entry.startsWith('file:')) return entry;
  if (!isAbsolute(entry)) {
    throw new HostError('ENTRY_MODULE_FAILED', `Entry module "${entry}" must be an absolute path or a file URL.`);
  }
  return pathToFileURL(entry).href;
}

export async function loadEntryModules(
  entries: readonly string[],
  warn: (message: string) => void = () => {},
): Promise<RegisteredFunction[]> {
  const state = installFunctionsCore();
  const names = new Set<string>();
  for (const entry of entries) {
    const url = toModuleUrl(entry);
    let registered = state.entryFunctions.get(url);
    if (registered === undefined) {
      // ES modules run once per process: what an import adds to the registry belongs to that entry.
      const before = new Set(state.functions.keys());
      try {
        await import(url);
      } catch (error) {
        throw new HostError('ENTRY_MODULE_FAILED', `Entry module ${url} failed to load: ${String(error)}`, { cause: error });
      }
      registered = [...state.functions.keys()].filter((name) => !before.has(name));
      state.entryFunctions.set(url, registered);
      if (registered.length === 0) {
        // Either it declares nothing, or it ran before the host existed and the library skipped it ("test mode").
        warn(`Entry module ${url} registered no functions (was it imported before the host started?).`);
      }
    }
    for (const name of registered) names.add(name);
  }
  if (state.functions.size > 0 && state.programmingModel === undefined) {
    throw new HostError('UNSUPPORTED_FUNCTIONS_LIBRARY', '@azure/functions registered functions but set no programming model.');
  }
  return [...names].map((name) => state.functions.get(name)).filter((fn): fn is RegisteredFunction => fn !== undefined);
}
