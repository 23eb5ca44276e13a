/**
 * The runner of `--dry-run`: runs nothing, prints each command as it would run, and answers the
 * few commands whose output a later step reads (the Terraform outputs, the tool versions) with
 * what is known before deployment, so the list shows the real names and arguments.
 */
import { describeCommandWithEnv, type BackgroundCommand, type Command, type CommandResult, type CommandRunner } from './command-runner.js';

export type DryRunAnswer = (command: Command) => string | undefined;

export class DryRunRunner implements CommandRunner {
  /** Every command in order, as printed. */
  readonly commands: string[] = [];

  constructor(
    private readonly print: (line: string) => void,
    private readonly answer: DryRunAnswer = () => undefined,
  ) {}

  run(command: Command): Promise<CommandResult> {
    this.record(command);
    return Promise.resolve({ exitCode: 0, stdout: this.answer(command) ?? '', stderr: '' });
  }

  start(command: Command): BackgroundCommand {
    this.record(command, ' &');
    return {
      waitForOutput: () => Promise.resolve(''),
      stop: () => Promise.resolve(),
    };
  }

  private record(command: Command, suffix = ''): void {
    const line = `${command.cwd ? `(cd ${command.cwd} && ` : ''}${describeCommandWithEnv(command)}${command.cwd ? ')' : ''}${suffix}`;
    this.commands.push(line);
    this.print(`    $ ${line}`);
  }
}
