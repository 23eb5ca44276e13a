/**
 * A CommandRunner with recorded answers, for driving the deploy sequence in tests: each command is
 * matched against the script (first rule whose pattern matches its shell line), answered with the
 * rule's result, and recorded in order. A command no rule matches fails the test.
 */
import {
  describeCommand,
  type BackgroundCommand,
  type Command,
  type CommandResult,
  type CommandRunner,
} from '../../deploy/command-runner.js';

export interface ScriptRule {
  readonly match: RegExp;
  /** A result, or a function of how many times this rule matched before (0 for the first). */
  readonly answer: Partial<CommandResult> | ((count: number) => Partial<CommandResult>);
}

export class ScriptedRunner implements CommandRunner {
  readonly calls: string[] = [];
  readonly commands: Command[] = [];
  private readonly counts = new Map<ScriptRule, number>();

  constructor(private readonly rules: readonly ScriptRule[]) {}

  run(command: Command): Promise<CommandResult> {
    const line = describeCommand(command);
    this.calls.push(line);
    this.commands.push(command);
    const rule = this.rules.find((candidate) => candidate.match.test(line));
    if (!rule) return Promise.reject(new Error(`unexpected command: ${line}`));
    const count = this.counts.get(rule) ?? 0;
    this.counts.set(rule, count + 1);
    const answer = typeof rule.answer === 'function' ? rule.answer(count) : rule.answer;
    return Promise.resolve({ exitCode: 0, stdout: '', stderr: '', ...answer });
  }

  start(command: Command): BackgroundCommand {
    this.calls.push(`${describeCommand(command)} &`);
    this.commands.push(command);
    let stopped = false;
    return {
      waitForOutput: () => Promise.resolve('Forwarding from 127.0.0.1'),
      stop: () => {
        if (!stopped) this.calls.push(`stop: ${describeCommand(command)}`);
        stopped = true;
        return Promise.resolve();
      },
    };
  }

  /** Records something a stand-in did (the database step's statements), in order with the commands. */
  note(line: string): void {
    this.calls.push(line);
  }

  /** Index of the first call matching, or -1. */
  indexOf(pattern: RegExp, from = 0): number {
    return this.calls.findIndex((line, index) => index >= from && pattern.test(line));
  }
}

/** Answers of a signed-in machine with current tools. */
export const READY_MACHINE: readonly ScriptRule[] = [
  { match: /^az version/, answer: { stdout: JSON.stringify({ 'azure-cli': '2.67.0' }) } },
  {
    match: /^az account show/,
    answer: { stdout: JSON.stringify({ id: '00000000-0000-0000-0000-0000000000aa', name: 'research', user: { name: 'dev@example.com' } }) },
  },
  { match: /^terraform version -json/, answer: { stdout: JSON.stringify({ terraform_version: '1.9.8' }) } },
  { match: /^kubectl version --client/, answer: { stdout: '{}' } },
  { match: /^az extension show --name amg/, answer: { stdout: '{}' } },
];
