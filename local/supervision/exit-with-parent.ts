/**
 * What a child of the local stack is started with so that it stops itself when the stack's process
 * is gone (`exit-with-parent.mjs`, preloaded with `--import`): killed with SIGKILL, a process cannot
 * stop its children, and a child in a process group of its own would otherwise live on.
 */
import { pathToFileURL } from 'node:url';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const PRELOAD = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), 'exit-with-parent.mjs')).href;

/** Node options and environment for a child that must not outlive this process. */
export function exitWithParent(): { readonly execArgv: readonly string[]; readonly env: Readonly<Record<string, string>> } {
  return { execArgv: ['--import', PRELOAD], env: { ETL_EXIT_WITH_PARENT_PID: String(process.pid) } };
}
