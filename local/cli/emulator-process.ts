/**
 * The Event Hubs emulator in its own process (its CLI), so that AMQP framing and log writes run on
 * the second core instead of sharing the functions host's event loop. Its own process group, like
 * Azurite: Ctrl-C reaches the stack's shutdown first, which then stops it in order.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { EmulatorConfig } from '../eventhubs-emulator/index.js';

export interface EmulatorProcess {
  readonly connectionString: string;
  readonly pid: number;
  close(): Promise<void>;
}

export async function startEmulatorProcess(options: {
  repositoryRoot: string;
  config: EmulatorConfig;
  dataDir: string;
  port: number;
  log: (line: string) => void;
}): Promise<EmulatorProcess> {
  const configFile = join(options.dataDir, 'emulator-config.json');
  await writeFile(configFile, JSON.stringify(options.config, null, 2) + '\n');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(options.repositoryRoot, 'local', 'eventhubs-emulator', 'cli.ts'), '--config', configFile, '--data-dir', options.dataDir, '--port', String(options.port)],
    { cwd: options.repositoryRoot, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  createInterface({ input: child.stderr! }).on('line', (line) => options.log(line.replace(/^\[eventhubs-emulator\] /, '')));
  const connectionString = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) => resolve(line.trim()));
    child.once('exit', (code) => reject(new Error(`the Event Hubs emulator exited with code ${code} before it was ready (is port ${options.port} taken?)`)));
  });
  return {
    connectionString,
    pid: child.pid!,
    async close() {
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM'); // the emulator flushes its logs on SIGTERM
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
