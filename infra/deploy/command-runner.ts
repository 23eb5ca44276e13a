/**
 * The one way the deploy tooling runs an external program (az, terraform or tofu, kubectl). A
 * step describes a command; a runner carries it out. The process runner starts the program; the
 * dry-run runner only prints what would run; tests hand in a runner with recorded answers and
 * check the order, the arguments and what happens when an answer is a failure.
 */
import { spawn } from 'node:child_process';

export interface Command {
  readonly program: string;
  readonly args: readonly string[];
  /** Working directory (default: the caller's). */
  readonly cwd?: string;
  /** Extra environment variables on top of the caller's. */
  readonly env?: Readonly<Record<string, string>>;
  /** The output holds a secret (a function key): never print it. */
  readonly secretOutput?: boolean;
  /** Show the program's own output as it runs (terraform apply), besides capturing it. */
  readonly stream?: boolean;
}

export interface CommandResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A program started to run beside the deploy (`kubectl port-forward`), stopped by the caller. */
export interface BackgroundCommand {
  /** Resolves with the first line of output that matches, or rejects when the program ends first. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<string>;
  stop(): Promise<void>;
}

export interface CommandRunner {
  run(command: Command): Promise<CommandResult>;
  start(command: Command): BackgroundCommand;
}

/** A command as a shell line, for progress output, the dry-run list and error messages. */
export function describeCommand(command: Pick<Command, 'program' | 'args'>): string {
  return [command.program, ...command.args].map(shellQuote).join(' ');
}

/** The command with its extra environment in front (`NAME=value program …`), as a person would type it. */
export function describeCommandWithEnv(command: Pick<Command, 'program' | 'args' | 'env'>): string {
  const assignments = Object.entries(command.env ?? {}).map(([name, value]) => `${name}=${shellQuote(value)} `);
  return `${assignments.join('')}${describeCommand(command)}`;
}

function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Why a command failed, as a person reads it: the command, its exit code and the end of its output. */
export class CommandFailedError extends Error {
  constructor(
    readonly command: Command,
    readonly result: CommandResult,
  ) {
    const output = command.secretOutput ? '(output not shown: it holds a secret)' : lastLines(`${result.stderr}\n${result.stdout}`, 15);
    super(`${describeCommand(command)} exited with ${result.exitCode}${output ? `:\n${output}` : ''}`);
    this.name = 'CommandFailedError';
  }
}

function lastLines(text: string, count: number): string {
  return text
    .trim()
    .split('\n')
    .filter((line) => line.trim() !== '')
    .slice(-count)
    .join('\n');
}

/** Runs the command and returns its output; a non-zero exit throws CommandFailedError. */
export async function runChecked(runner: CommandRunner, command: Command): Promise<CommandResult> {
  const result = await runner.run(command);
  if (result.exitCode !== 0) throw new CommandFailedError(command, result);
  return result;
}

/** Starts real processes. A program that is not installed answers with exit code 127, like a shell. */
export class ProcessRunner implements CommandRunner {
  constructor(private readonly echo: (text: string) => void = (text) => process.stdout.write(text)) {}

  run(command: Command): Promise<CommandResult> {
    return new Promise((resolve) => {
      const child = spawn(command.program, [...command.args], {
        cwd: command.cwd,
        env: { ...process.env, ...command.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        if (command.stream && !command.secretOutput) this.echo(chunk);
      });
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        if (command.stream && !command.secretOutput) this.echo(chunk);
      });
      child.on('error', (error: NodeJS.ErrnoException) => {
        resolve({ exitCode: error.code === 'ENOENT' ? 127 : 1, stdout, stderr: `${stderr}${error.message}\n` });
      });
      child.on('close', (code, signal) => resolve({ exitCode: code ?? (signal ? 128 : 1), stdout, stderr }));
    });
  }

  start(command: Command): BackgroundCommand {
    const child = spawn(command.program, [...command.args], {
      cwd: command.cwd,
      env: { ...process.env, ...command.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const listeners = new Set<() => void>();
    let ended = false;
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      for (const listener of listeners) listener();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const exited = new Promise<void>((resolve) => {
      child.on('close', () => {
        ended = true;
        for (const listener of listeners) listener();
        resolve();
      });
      child.on('error', () => {
        ended = true;
        for (const listener of listeners) listener();
        resolve();
      });
    });
    return {
      waitForOutput: (pattern, timeoutMs) =>
        new Promise<string>((resolve, reject) => {
          const check = () => {
            const line = output.split('\n').find((candidate) => pattern.test(candidate));
            if (line !== undefined) return finish(() => resolve(line));
            if (ended)
              return finish(() =>
                reject(new Error(`${describeCommand(command)} ended before it printed ${pattern}:\n${lastLines(output, 10)}`)),
              );
          };
          const timer = setTimeout(
            () => finish(() => reject(new Error(`${describeCommand(command)} printed no ${pattern} within ${timeoutMs / 1000} s`))),
            timeoutMs,
          );
          const finish = (settle: () => void) => {
            clearTimeout(timer);
            listeners.delete(check);
            settle();
          };
          listeners.add(check);
          check();
        }),
      stop: async () => {
        if (!ended) child.kill('SIGTERM');
        await exited;
      },
    };
  }
}
