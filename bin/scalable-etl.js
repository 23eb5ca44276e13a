#!/usr/bin/env node
// `scalable-etl start [options]` runs the local stack (as `npm start`); any other command goes to
// the etl CLI (status, files, deadletters, replay, report, upload), as `npm run etl -- …`.
import { runTypeScriptCli } from './run-typescript-cli.js';

const [command, ...rest] = process.argv.slice(2);
if (command === 'start') runTypeScriptCli('local/cli/start.ts', rest);
else runTypeScriptCli('local/cli/etl.ts', process.argv.slice(2));
