/** The function-length count, on sources written for it. */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { functionShapes, sourceFiles } from './long-functions.js';

const body = (lines: number) => Array.from({ length: lines }, (_, index) => `  total += ${index};`).join('\n');

describe('functionShapes', () => {
  it('counts each function from its first line to its last, nested ones on their own too', () => {
    const text = [
      `export function outer(limit: number): number {`, // line 1
      `  let total = 0;`,
      `  const inner = () => {`, // line 3
      body(3),
      `  };`, // line 7
      `  inner();`,
      `  return total;`,
      `}`, // line 10
    ].join('\n');
    const shapes = functionShapes('a.ts', text);
    expect(shapes.map(({ name, line, lines }) => ({ name, line, lines }))).toEqual([
      { name: 'outer', line: 1, lines: 10 },
      { name: 'inner', line: 3, lines: 5 },
    ]);
  });

  it('is not misled by braces in strings, comments and template literals', () => {
    const text = [
      `function tricky(): string {`,
      `  // } closing brace in a comment`,
      `  const a = '}}';`,
      '  return `${a} { ${"}"}`;',
      `}`,
      `function next(): void {}`,
    ].join('\n');
    expect(functionShapes('b.ts', text).map(({ name, lines }) => ({ name, lines }))).toEqual([
      { name: 'tricky', lines: 5 },
      { name: 'next', lines: 1 },
    ]);
  });

  it('names positional boolean parameters, typed or defaulted, and not an option bag', () => {
    const text = [
      `function scan(buffer: Buffer, atEnd: boolean): void {}`,
      `const read = (path: string, whole = false) => path;`,
      `class Log { finished(name: string, failed?: boolean): void {} }`,
      `function named(buffer: Buffer, { atEnd }: { atEnd: boolean }): void {}`,
    ].join('\n');
    expect(functionShapes('c.ts', text).map(({ name, booleanParameters }) => [name, booleanParameters])).toEqual([
      ['scan', ['atEnd']],
      ['read', ['whole']],
      ['finished', ['failed']],
      ['named', []],
    ]);
  });
});

describe('sourceFiles', () => {
  it('walks folders for .ts files, leaving out tests, declarations and node_modules', () => {
    const root = mkdtempSync(join(tmpdir(), 'long-functions-'));
    mkdirSync(join(root, 'src', 'node_modules'), { recursive: true });
    for (const name of ['src/a.ts', 'src/a.test.ts', 'src/types.d.ts', 'src/node_modules/x.ts', 'src/readme.md'])
      writeFileSync(join(root, name), '');
    expect(sourceFiles([join(root, 'src')])).toEqual([join(root, 'src', 'a.ts')]);
  });
});
