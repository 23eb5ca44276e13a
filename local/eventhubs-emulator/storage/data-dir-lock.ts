import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { EmulatorError } from '../emulator-error.js';

const LOCK_FILE = 'emulator.lock';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One emulator per data directory: two processes appending to the same partition logs would corrupt
 * them. The lock file holds the owner's pid; a lock left by a process that no longer runs (kill -9)
 * is taken over.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  await mkdir(dataDir, { recursive: true });
  const path = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const file = await open(path, 'wx');
      await file.writeFile(String(process.pid));
      await file.close();
      return () => rm(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
        throw new EmulatorError('DATA_DIR_IN_USE', `The data directory '${dataDir}' is in use by another emulator (pid ${owner}).`);
      }
      if (owner === process.pid) {
        throw new EmulatorError('DATA_DIR_IN_USE', `The data directory '${dataDir}' is already in use by an emulator in this process.`);
      }
      await rm(path, { force: true });
    }
  }
  throw new EmulatorError('DATA_DIR_IN_USE', `Cannot lock the data directory '${dataDir}'.`);
}
