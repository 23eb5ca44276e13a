#!/usr/bin/env node
// Runs the emulator's TypeScript CLI through tsx, from any working directory.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Resolved from this file, so the repository's own tsx is used whatever the working directory.
const tsx = import.meta.resolve('tsx');
const cli = join(root, 'local', 'eventhubs-emulator', 'cli.ts');
const child = spawn(process.execPath, ['--import', tsx, cli, ...process.argv.slice(2)], { stdio: 'inherit' });
// Forward stop signals so the emulator can flush its logs before exiting.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
