/**
 * `npx tsx tools/long-functions.ts [--limit 60] [folders or files…]`: the functions longer than the
 * limit (lines from the function's first to its last, nested functions included), longest first,
 * and the functions that take a positional boolean parameter, which a call site cannot name
 * (`scan(buffer, true)`); an option bag names it. Test files are left out: a `describe` callback is
 * long by nature. Read with the TypeScript compiler's own parser, so strings, comments and
 * template literals cannot miscount. Default folders: shared, local, functions, load-tests, bench.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';

export interface FunctionShape {
  readonly file: string;
  /** 1-based line of the function's start. */
  readonly line: number;
  readonly name: string;
  readonly lines: number;
  /** Parameters typed `boolean` or defaulting to `true`/`false`. */
  readonly booleanParameters: readonly string[];
}

/** The `.ts` files under `paths` (files are taken as they are), without tests, declarations and node_modules. */
export function sourceFiles(paths: readonly string[]): string[] {
  const files: string[] = [];
  const walk = (path: string): void => {
    if (!statSync(path).isDirectory()) {
      files.push(path);
      return;
    }
    for (const name of readdirSync(path).sort()) {
      if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
      const child = join(path, name);
      if (statSync(child).isDirectory()) walk(child);
      else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) files.push(child);
    }
  };
  for (const path of paths) walk(path);
  return files;
}

function nameOf(node: ts.FunctionLikeDeclaration): string {
  if (node.name) return node.name.getText();
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) return parent.name.getText();
  if (ts.isCallExpression(parent)) return `<callback of ${parent.expression.getText().split('\n')[0]?.slice(0, 40) ?? ''}>`;
  return '<anonymous>';
}

function isBooleanParameter(parameter: ts.ParameterDeclaration): boolean {
  const initializer = parameter.initializer?.kind;
  return (
    parameter.type?.kind === ts.SyntaxKind.BooleanKeyword ||
    initializer === ts.SyntaxKind.TrueKeyword ||
    initializer === ts.SyntaxKind.FalseKeyword
  );
}

/** Every function with a body in `text`, with its length in lines and its positional boolean parameters. */
export function functionShapes(file: string, text: string): FunctionShape[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const shapes: FunctionShape[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
      const declaration = node as ts.FunctionLikeDeclaration;
      const start = source.getLineAndCharacterOfPosition(declaration.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(declaration.getEnd()).line;
      shapes.push({
        file,
        line: start + 1,
        name: nameOf(declaration),
        lines: end - start + 1,
        booleanParameters: declaration.parameters.filter(isBooleanParameter).map((parameter) => parameter.name.getText()),
      });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return shapes;
}

function main(): void {
  const { values, positionals } = parseArgs({ options: { limit: { type: 'string', default: '60' } }, allowPositionals: true });
  const limit = Number(values.limit);
  if (!Number.isSafeInteger(limit) || limit < 1) throw new Error(`--limit must be a positive integer, got '${values.limit}'`);
  const paths = positionals.length > 0 ? positionals : ['shared', 'local', 'functions', 'load-tests', 'bench'];
  const shapes = sourceFiles(paths).flatMap((file) => functionShapes(relative('.', file), readFileSync(file, 'utf8')));
  const long = shapes.filter((shape) => shape.lines > limit).sort((a, b) => b.lines - a.lines);
  console.log(`${long.length} function(s) over ${limit} lines:`);
  for (const shape of long) console.log(`${String(shape.lines).padStart(5)}  ${shape.file}:${shape.line}  ${shape.name}`);
  const flagged = shapes.filter((shape) => shape.booleanParameters.length > 0);
  console.log(`${flagged.length} function(s) with a positional boolean parameter:`);
  for (const shape of flagged) console.log(`       ${shape.file}:${shape.line}  ${shape.name}(${shape.booleanParameters.join(', ')})`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
