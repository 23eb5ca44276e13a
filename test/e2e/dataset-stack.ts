/**
 * What the end-to-end tests of datasets share: files in the encodings real exports use, and one
 * local stack that loads the declarations in a folder and waits until every landed file settles.
 */
import { join } from 'node:path';
import { startLocalStack, type LocalStack } from '../../local/cli/local-stack.js';
import { getEtlRuntime, type EtlRuntime } from '../../shared/runtime/etl-runtime.js';
import type { FileManifest } from '../../shared/ports/file-manifest.js';
import { waitFor } from '../../local/host/test/wait-for.js';

/** UTF-16 LE bytes of `text`, after a byte order mark unless `bom` is false. */
export const utf16le = (text: string, bom = true): Buffer =>
  Buffer.concat([bom ? Buffer.from([0xff, 0xfe]) : Buffer.alloc(0), Buffer.from(text, 'utf16le')]);

/** Windows-1252 bytes of Latin-1 text plus the euro sign (0x80). */
export const windows1252 = (text: string): Buffer =>
  Buffer.concat(text.split('€').flatMap((part, index) => [...(index === 0 ? [] : [Buffer.from([0x80])]), Buffer.from(part, 'latin1')]));

/** A local stack (state under `folder/state`) whose datasets are the declarations in `datasetsDir`. */
export async function startDatasetStack(
  folder: string,
  datasetsDir: string,
  settings: Readonly<Record<string, string>> = {},
): Promise<{ stack: LocalStack; runtime: EtlRuntime }> {
  const stack = await startLocalStack({
    stateDir: join(folder, 'state'),
    ports: 'free',
    partitions: 2,
    scanIntervalMs: 200,
    fastLoadBalancing: true,
    settings: { ETL_DATASETS_DIR: datasetsDir, ...settings },
    log: () => {},
  });
  return { stack, runtime: await getEtlRuntime() };
}

/** The manifests once `count` files have landed and each is complete or failed (polls every 250 ms). */
export function settledFiles(runtime: EtlRuntime, count: number, timeoutMs = 180_000): Promise<FileManifest[]> {
  return waitFor(
    `${count} files to complete or fail`,
    async () => {
      const list = await runtime.store.manifest.listFiles({ limit: 1000 });
      return list.length === count && list.every((file) => file.state === 'complete' || file.state === 'failed') ? [...list] : undefined;
    },
    timeoutMs,
    250,
  );
}
