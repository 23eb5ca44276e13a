// Runs one of the repository's TypeScript CLIs through tsx, from any working directory, forwarding
// stop signals so the CLI can shut down cleanly.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repositoryRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

export function runTypeScriptCli(relativePath, args) {
  // Resolved from this file, so the repository's own tsx is used whatever the working directory.
  const tsx = import.meta.resolve('tsx');
  const child = spawn(process.execPath, ['--import', tsx, join(repositoryRoot, relativePath), ...args], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
