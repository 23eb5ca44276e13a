/**
 * Run by function-app-package.test.ts in a child process: loads an unpacked function app package
 * the way the worker does (its `package.json#main`, with our stand-in for the worker's
 * `@azure/functions-core`), then the modules the app loads only later (the Azure SQL store, the
 * identity library, the Application Insights SDK: imported, never started), all resolved from the
 * package's own node_modules. Prints the registered functions as JSON.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadEntryModules } from '../../../local/host/load-entry-modules.js';

const appDir = process.argv[2];
if (!appDir) throw new Error('usage: package-probe <unpacked app folder>');
const manifest = JSON.parse(readFileSync(join(appDir, 'package.json'), 'utf8')) as { main: string };
const functions = await loadEntryModules([join(appDir, manifest.main)]);
await import(pathToFileURL(join(appDir, 'dist', 'shared', 'sql', 'mssql', 'mssql-etl-store.js')).href);
// Bare imports as the app's own modules make them: resolved from inside the package.
const requireFromApp = createRequire(join(appDir, manifest.main));
const resolved: Record<string, string> = {};
for (const name of ['@azure/functions', '@azure/identity', 'applicationinsights', 'mssql']) {
  resolved[name] = requireFromApp.resolve(name);
  await import(pathToFileURL(resolved[name]).href);
}
console.log(
  JSON.stringify({
    resolved,
    functions: functions.map((fn) => ({ name: fn.metadata.name, bindings: fn.metadata.bindings })),
  }),
);
