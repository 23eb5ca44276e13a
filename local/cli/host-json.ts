import { readFile } from 'node:fs/promises';

/** Read the app's host.json (the local host honours its `extensions` options like Azure does). */
export async function readHostJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
}
