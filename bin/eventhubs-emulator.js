#!/usr/bin/env node
// Runs the Event Hubs emulator's CLI (local/eventhubs-emulator/cli.ts) from any working directory;
// stop signals are forwarded so the emulator can flush its logs before exiting.
import { runTypeScriptCli } from './run-typescript-cli.js';

runTypeScriptCli('local/eventhubs-emulator/cli.ts', process.argv.slice(2));
