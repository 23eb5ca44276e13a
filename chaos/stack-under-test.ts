/**
 * `npm start` as the fault-injection harness drives it: the real CLI in a child process, on free
 * ports, with its state in a folder of the harness's. The harness reads what a user could read —
 * `settings.json` for the connection strings, `processes.json` for the pids of Azurite, the
 * emulator and the host processes — and checks the results through the app's own runtime.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BlobServiceClient } from '@azure/storage-blob';
import { REPOSITORY_ROOT } from '../local/cli/local-stack.js';
import { loadEtlConfig } from '../shared/config/etl-config.js';
import { createEtlRuntime, type EtlRuntime } from '../shared/runtime/etl-runtime.js';
import { processStarted } from '../local/supervision/stack-processes.js';

export interface StartOptions {
  /** Extra `npm start` arguments, e.g. `['--placement', 'per-function']`. */
  readonly args?: readonly string[];
  /** Extra settings, passed as environment variables (they override the defaults npm start writes). */
  readonly env?: Readonly<Record<string, string>>;
  /** Receives every output line of npm start. */
  readonly log?: (line: string) => void;
  /** Bound on the start, which only catches a hang (default 300 s). */
  readonly timeoutMs?: number;
}

export interface RecordedChild {
  readonly role: string;
  readonly pid: number;
}

export class StackUnderTest {
  readonly output: string[] = [];
  #child: ChildProcess | undefined;
  #exited: Promise<number | null> | undefined;
  #runtime: EtlRuntime | undefined;
  #settings: Record<string, string> | undefined;

  constructor(readonly stateDir: string) {}

  /** Starts `npm start` (again, after a stop or a kill) and resolves once it prints its connection strings. */
  async start(options: StartOptions = {}): Promise<void> {
    // A new start may bring new ports (free ports are chosen again): the runtime is built afresh.
    await this.#runtime?.close().catch(() => undefined);
    this.#runtime = undefined;
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(REPOSITORY_ROOT, 'local', 'cli', 'start.ts'),
        '--state-dir',
        this.stateDir,
        '--free-ports',
        '--no-sample',
        ...(options.args ?? []),
      ],
      { cwd: REPOSITORY_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } },
    );
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    let up!: () => void;
    const ready = new Promise<void>((resolve) => (up = resolve));
    const onLine = (line: string) => {
      this.output.push(line);
      options.log?.(line);
      if (line.startsWith('Connection strings')) up();
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    const timeoutMs = options.timeoutMs ?? 300_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        ready,
        this.#exited.then((code) =>
          Promise.reject(new Error(`npm start exited with code ${code} before it was up:\n${this.output.slice(-20).join('\n')}`)),
        ),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`npm start was not up within ${timeoutMs} ms`)), timeoutMs))),
      ]);
    } finally {
      clearTimeout(timer);
    }
    this.#settings = JSON.parse(await readFile(join(this.stateDir, 'settings.json'), 'utf8')) as Record<string, string>;
  }

  get pid(): number {
    if (this.#child?.pid === undefined) throw new Error('npm start is not running');
    return this.#child.pid;
  }

  get settings(): Readonly<Record<string, string>> {
    if (this.#settings === undefined) throw new Error('npm start has not started');
    return this.#settings;
  }

  /** The children npm start wrote down in its state folder, as they are now. */
  async children(): Promise<RecordedChild[]> {
    const file = JSON.parse(await readFile(join(this.stateDir, 'processes.json'), 'utf8')) as { children: RecordedChild[] };
    return file.children;
  }

  async pidOf(role: string): Promise<number> {
    const found = (await this.children()).find((child) => child.role === role);
    if (found === undefined) throw new Error(`npm start runs no '${role}'`);
    return found.pid;
  }

  /** Waits until the role runs in another process than `pid` (the supervisor restarted it). */
  async restarted(role: string, pid: number, timeoutMs = 300_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const now = await this.children()
        .then((children) => children.find((child) => child.role === role)?.pid)
        .catch(() => undefined);
      if (now !== undefined && now !== pid && processStarted(now) !== undefined) return now;
      if (Date.now() > deadline) throw new Error(`${role} was not started again within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** The app's runtime over this stack's storage, hubs and database, for uploads and checks (no migrations). */
  async runtime(): Promise<EtlRuntime> {
    this.#runtime ??= await createEtlRuntime(loadEtlConfig({ ...this.settings, ETL_SQL_MIGRATE_ON_START: 'false' }));
    return this.#runtime;
  }

  blobService(): BlobServiceClient {
    return BlobServiceClient.fromConnectionString(this.settings.AzureWebJobsStorage!);
  }

  /** Kills npm start itself with SIGKILL, as an IDE's stop button or the OOM killer would. */
  async kill(): Promise<void> {
    this.#child?.kill('SIGKILL');
    await this.#exited;
  }

  /** Ctrl-C: the stack stops its children in order and exits. */
  async stop(): Promise<number | null> {
    await this.#runtime?.close().catch(() => undefined);
    this.#runtime = undefined;
    if (this.#child === undefined || this.#child.exitCode !== null || this.#child.signalCode !== null) return this.#exited ?? null;
    this.#child.kill('SIGINT');
    return this.#exited!;
  }
}
