/**
 * The Event Hubs emulator in its own process (its CLI), so that AMQP framing and log writes run on
 * the second core instead of sharing the functions host's event loop. Its own process group, like
 * Azurite: Ctrl-C reaches the stack's shutdown first, which then stops it in order; it stops itself
 * when the stack's process is gone (exit-with-parent).
 */
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { EmulatorConfig } from '../eventhubs-emulator/index.js';
import type { ChildExit } from '../supervision/child-supervisor.js';
import { spawnStackChild, type RecentLines } from '../supervision/exit-with-parent.js';

export interface EmulatorProcess {
  readonly connectionString: string;
  /** The AMQP port it listens on (a restart asks for the same one, so the connection string holds). */
  readonly port: number;
  readonly pid: number;
  /** Settles when the process has exited, for whatever reason. */
  readonly exited: Promise<ChildExit>;
  recentOutput(): readonly string[];
  close(): Promise<void>;
}

/** The port in an emulator connection string (`sb://localhost` alone is the AMQP default, 5672). */
export function connectionStringPort(connectionString: string): number {
  const match = /Endpoint=sb:\/\/[^;/:]+(?::(\d+))?/i.exec(connectionString);
  if (!match) throw new Error(`the emulator printed no endpoint: ${connectionString}`);
  return match[1] === undefined ? 5672 : Number(match[1]);
}

/** The emulator flushes its logs on SIGTERM; past this it is killed. */
const STOP_GRACE_MS = 10_000;

export async function startEmulatorProcess(options: {
  repositoryRoot: string;
  config: EmulatorConfig;
  dataDir: string;
  port: number;
  log: (line: string) => void;
}): Promise<EmulatorProcess> {
  const configFile = join(options.dataDir, 'emulator-config.json');
  await writeFile(configFile, JSON.stringify(options.config, null, 2) + '\n');
  const { child, exited, recent, stop } = spawnStackChild(
    [
      '--import',
      'tsx',
      join(options.repositoryRoot, 'local', 'eventhubs-emulator', 'cli.ts'),
      '--config',
      configFile,
      '--data-dir',
      options.dataDir,
      '--port',
      String(options.port),
    ],
    { cwd: options.repositoryRoot },
  );
  forwardLog(child, recent, options.log);
  const connectionString = await firstStdoutLine(child, exited, options.port);
  return {
    connectionString,
    port: connectionStringPort(connectionString),
    pid: child.pid!,
    exited,
    recentOutput: () => recent.lines(),
    close: () => stop(STOP_GRACE_MS),
  };
}

/** Passes the emulator's log lines (stderr) on without its prefix, and keeps them in `recent`. */
function forwardLog(child: ChildProcess, recent: RecentLines, log: (line: string) => void): void {
  createInterface({ input: child.stderr! }).on('line', (line) => {
    recent.push(line);
    log(line.replace(/^\[eventhubs-emulator\] /, ''));
  });
}

/** The connection string the emulator prints on stdout once it listens; rejects if it exits first. */
function firstStdoutLine(child: ChildProcess, exited: Promise<ChildExit>, port: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) => resolve(line.trim()));
    void exited.then((exit) =>
      reject(
        new Error(`the Event Hubs emulator exited (code ${exit.code}, signal ${exit.signal}) before it was ready (is port ${port} taken?)`),
      ),
    );
  });
}
