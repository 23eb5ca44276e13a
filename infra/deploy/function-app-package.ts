/**
 * `npm run package`: the function app as one zip for Flex Consumption's zip deployment, holding
 * `host.json`, a `package.json` without dev dependencies or workspaces, the compiled JavaScript
 * and the production dependencies only, found by Node's own resolution from the root
 * `package.json`. Nothing is installed on the way (no network), and nothing of the infra
 * workspace (cdktf and the provider bindings) can get in: only what the app's `dependencies`
 * reach is copied.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { zipSync, type Zippable } from 'fflate';

export const PACKAGE_FILE_NAME = 'scalable-etl-functions.zip';

/** The root package.json fields the deployed app keeps (the worker reads `main` and `type`). */
const KEPT_PACKAGE_FIELDS = ['name', 'version', 'private', 'description', 'type', 'main', 'engines', 'dependencies'] as const;

/**
 * Files of dependencies Node never loads: TypeScript sources and declarations, source maps, build
 * info, documents (licences stay), and the browser and React Native builds that the Azure SDK
 * packages ship beside their Node builds (only their `exports` conditions for those targets name them).
 */
const LEFT_OUT_OF_DEPENDENCIES = [/\.[cm]?ts$/i, /\.map$/i, /\.tsbuildinfo$/i, /(^|\/)dist\/(browser|react-native)\//];
const KEPT_DOCUMENTS = /^(licen[cs]e|notice|copying)/i;

/** Same bytes for the same inputs: a fixed time on every entry. */
const ENTRY_TIME = new Date('2000-01-01T00:00:00Z');

export interface PackageOptions {
  /** The repository checkout whose app is packaged. */
  readonly repositoryRoot: string;
  /** Build output and the zip go here (created; the build is incremental across runs). */
  readonly workDir: string;
  readonly log?: (line: string) => void;
}

export interface FunctionAppPackage {
  readonly zipPath: string;
  readonly bytes: number;
  readonly files: number;
  /** `node_modules/…` folders in the zip, one per package. */
  readonly dependencies: readonly string[];
  /** The zip of an earlier run was kept: none of its inputs changed since. */
  readonly reused: boolean;
}

/** One file of the zip: copied from `source`, or the bytes given (the generated package.json). */
export interface PackageEntry {
  readonly path: string;
  readonly source?: string;
  readonly data?: Uint8Array;
}

/** Compiles the app and writes the zip, unless the last zip written here has exactly these inputs; returns where it is and how big. */
export async function packageFunctionApp(options: PackageOptions): Promise<FunctionAppPackage> {
  const log = options.log ?? (() => {});
  const root = options.repositoryRoot;
  mkdirSync(options.workDir, { recursive: true });
  const { distDir, compiled } = await compileApp(root, join(options.workDir, 'build'));
  log(compiled ? 'compiled the app' : 'the compiled app is up to date (no source, configuration or type it read changed since)');
  const entries: PackageEntry[] = [
    { path: 'host.json', source: join(root, 'host.json') },
    { path: 'package.json', data: Buffer.from(`${JSON.stringify(deployedPackageJson(root), null, 2)}\n`) },
    ...listFiles(distDir).map((file) => ({ path: `dist/${toZipPath(relative(distDir, file))}`, source: file })),
  ];
  const dependencies = productionDependencyDirs(root);
  for (const directory of dependencies) {
    const packageDir = join(root, directory);
    for (const file of listFiles(packageDir, (name) => name !== 'node_modules')) {
      const inPackage = toZipPath(relative(packageDir, file));
      const name = inPackage.slice(inPackage.lastIndexOf('/') + 1);
      if (LEFT_OUT_OF_DEPENDENCIES.some((pattern) => pattern.test(inPackage)) || (/\.md$/i.test(name) && !KEPT_DOCUMENTS.test(name)))
        continue;
      entries.push({ path: toZipPath(relative(root, file)), source: file });
    }
  }

  const zipPath = join(options.workDir, PACKAGE_FILE_NAME);
  // Deflating ~18,000 files is most of the step's time: a zip whose inputs are unchanged is kept.
  const stampPath = `${zipPath}.inputs`;
  const fingerprint = packageInputsFingerprint(entries);
  if (existsSync(zipPath) && existsSync(stampPath) && readFileSync(stampPath, 'utf8') === fingerprint) {
    const bytes = statSync(zipPath).size;
    log(
      `${zipPath} is up to date (${entries.length.toLocaleString('en-US')} files, ${dependencies.length} production packages, unchanged since it was written): ${formatBytes(bytes)}`,
    );
    return { zipPath, bytes, files: entries.length, dependencies, reused: true };
  }
  const zippable: Zippable = {};
  for (const entry of entries) zippable[entry.path] = [entry.data ?? readFileSync(entry.source!), { mtime: ENTRY_TIME }];
  const zip = zipSync(zippable, { level: 6 });
  // The stamp goes first and comes back last, so an interrupted write is never taken as up to date.
  rmSync(stampPath, { force: true });
  writeFileSync(zipPath, zip);
  writeFileSync(stampPath, fingerprint);
  log(
    `packaged ${entries.length.toLocaleString('en-US')} files (${dependencies.length} production packages) into ${zipPath}: ${formatBytes(zip.byteLength)}`,
  );
  return { zipPath, bytes: zip.byteLength, files: entries.length, dependencies, reused: false };
}

/**
 * What the zip is made of: every entry's path with its source's size and modification time (or
 * the hash of its generated bytes). Equal fingerprints mean the same zip, as for make.
 */
export function packageInputsFingerprint(entries: readonly PackageEntry[]): string {
  const hash = createHash('sha256');
  for (const entry of entries) {
    if (entry.data !== undefined) {
      hash.update(`${entry.path}\tdata\t${createHash('sha256').update(entry.data).digest('hex')}\n`);
    } else {
      const stat = statSync(entry.source!);
      hash.update(`${entry.path}\t${stat.size}\t${stat.mtimeMs}\n`);
    }
  }
  return hash.digest('hex');
}

export interface CompiledApp {
  readonly distDir: string;
  /** False: nothing tsc read changed since the last compile here, so it did not run. */
  readonly compiled: boolean;
}

/**
 * `tsc -p tsconfig.build.json` into `buildDir/dist`, incrementally (the build info stays beside
 * it). Output whose source is gone is removed, so a deleted function cannot ship from an old build.
 * Even with nothing to do, tsc takes seconds to load itself and the program; so it does not run
 * when the inputs' fingerprint (compileInputs) equals the one stored after the last compile.
 */
export async function compileApp(root: string, buildDir: string): Promise<CompiledApp> {
  const distDir = join(buildDir, 'dist');
  const stampPath = join(buildDir, 'compile.inputs');
  const inputsBefore = compileInputs(root, buildDir);
  if (
    inputsBefore !== undefined &&
    existsSync(distDir) &&
    existsSync(stampPath) &&
    readFileSync(stampPath, 'utf8') === packageInputsFingerprint(inputsBefore)
  ) {
    return { distDir, compiled: false };
  }
  rmSync(stampPath, { force: true });
  const started = Date.now();
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = [
    tsc,
    '-p',
    join(root, 'tsconfig.build.json'),
    '--outDir',
    distDir,
    '--incremental',
    '--tsBuildInfoFile',
    join(buildDir, BUILD_INFO_FILE),
  ];
  try {
    await promisify(execFile)(process.execPath, args, { cwd: root, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`the app does not compile:\n${`${stdout ?? ''}${stderr ?? ''}`.trim()}`, { cause: error });
  }
  for (const file of listFiles(distDir)) {
    const source = join(root, relative(distDir, file)).replace(/\.js(\.map)?$/, '.ts');
    if (!existsSync(source)) rmSync(file);
  }
  const inputs = compileInputs(root, buildDir);
  // A file saved while tsc ran may be missing from this output: without a stamp the next run compiles.
  if (inputs !== undefined && inputs.every((entry) => statSync(entry.source!).mtimeMs < started)) {
    writeFileSync(stampPath, packageInputsFingerprint(inputs));
  }
  return { distDir, compiled: true };
}

const BUILD_INFO_FILE = 'tsconfig.tsbuildinfo';

/**
 * Everything a compile depends on: both tsconfig files, every file the last compile read (its build
 * info's `fileNames`: sources, the libraries' declarations, TypeScript's own lib files) and every
 * file in the folders tsconfig.build.json includes, so an added source counts too. Undefined when
 * that cannot be known (no build info yet, or a file it names is gone): then tsc runs.
 */
export function compileInputs(root: string, buildDir: string): PackageEntry[] | undefined {
  const buildInfo = readJson<{ fileNames?: unknown }>(join(buildDir, BUILD_INFO_FILE));
  const included = readJson<{ include?: unknown }>(join(root, 'tsconfig.build.json'))?.include;
  if (!Array.isArray(buildInfo?.fileNames) || !Array.isArray(included)) return undefined;
  const files = new Set<string>([join(root, 'tsconfig.json'), join(root, 'tsconfig.build.json')]);
  for (const name of buildInfo.fileNames) if (typeof name === 'string') files.add(resolve(buildDir, name));
  for (const folder of included)
    if (typeof folder === 'string') for (const file of listFiles(join(root, folder), (name) => name !== 'node_modules')) files.add(file);
  const entries: PackageEntry[] = [];
  for (const file of [...files].sort()) {
    if (!existsSync(file)) return undefined;
    entries.push({ path: toZipPath(relative(root, file)), source: file });
  }
  return entries;
}

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

function deployedPackageJson(root: string): Record<string, unknown> {
  const full = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
  return Object.fromEntries(KEPT_PACKAGE_FIELDS.filter((field) => full[field] !== undefined).map((field) => [field, full[field]]));
}

interface PackageJson {
  readonly name?: string;
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
}

/**
 * Every package folder (relative to the root, e.g. `node_modules/mssql` or
 * `node_modules/a/node_modules/b`) that the root's `dependencies` reach, resolved the way Node
 * resolves a bare import: the nearest `node_modules/<name>` up from the importing package, never
 * above the root. Optional and peer dependencies count when installed.
 */
export function productionDependencyDirs(root: string): string[] {
  const found = new Set<string>();
  const rootManifest = readPackageJson(root);
  const queue: Array<{ from: string; manifest: PackageJson }> = [{ from: root, manifest: { dependencies: rootManifest.dependencies } }];
  while (queue.length > 0) {
    const { from, manifest } = queue.shift()!;
    const required = Object.keys(manifest.dependencies ?? {});
    const ifInstalled = [...Object.keys(manifest.optionalDependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})];
    for (const [names, mustExist] of [
      [required, true],
      [ifInstalled, false],
    ] as const) {
      for (const name of names) {
        const directory = resolvePackageDir(root, from, name);
        if (directory === undefined) {
          if (mustExist)
            throw new Error(
              `production dependency '${name}' (needed by ${relative(root, from) || 'the app'}) is not installed: run npm ci`,
            );
          continue;
        }
        const key = toZipPath(relative(root, directory));
        if (found.has(key)) continue;
        found.add(key);
        queue.push({ from: directory, manifest: readPackageJson(directory) });
      }
    }
  }
  return [...found].sort();
}

function resolvePackageDir(root: string, from: string, name: string): string | undefined {
  for (let directory = from; ; directory = dirname(directory)) {
    const candidate = join(directory, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (directory === root || dirname(directory) === directory) return undefined;
  }
}

function readPackageJson(directory: string): PackageJson {
  return JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as PackageJson;
}

/** Regular files under a folder, depth first, in name order; `enter` decides which sub-folders to walk. */
function listFiles(directory: string, enter: (name: string) => boolean = () => true): string[] {
  if (!existsSync(directory)) return [];
  const files: string[] = [];
  for (const entry of readdirSync(directory, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      if (enter(entry.name)) files.push(...listFiles(path, enter));
    } else if (entry.isFile() || (entry.isSymbolicLink() && statSync(path).isFile())) {
      files.push(path);
    }
  }
  return files;
}

function toZipPath(path: string): string {
  return path.split(sep).join('/');
}

export function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(0)} KiB`;
}
