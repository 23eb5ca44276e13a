// The example in docs/datasets.md must stay a valid declaration with a file that passes it.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../csv/csv-reader.js';
import { bindHeader } from '../validation/header-binding.js';
import { validateRow } from '../validation/validate-row.js';
import { toFact } from '../transform/to-fact.js';
import { parseDatasetDeclaration } from './dataset-schema.js';

async function codeBlocks(language: string): Promise<string[]> {
  const text = await readFile(new URL('../../docs/datasets.md', import.meta.url), 'utf8');
  return [...text.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((match) => match[1] as string);
}

describe('docs/datasets.md', () => {
  it('shows a declaration that loads and a CSV file whose rows all pass it', async () => {
    const [json] = await codeBlocks('json');
    const [csv] = await codeBlocks('csv');
    const dataset = parseDatasetDeclaration(JSON.parse(json as string), 'docs/datasets.md');
    async function* one() {
      yield csv as string;
    }
    const facts = [];
    let binding;
    for await (const item of readCsv(one())) {
      if (item.kind === 'header') {
        binding = bindHeader(dataset, item.fields);
        continue;
      }
      if (item.kind === 'error' || !binding?.ok) throw new Error(JSON.stringify(item));
      const result = validateRow(dataset, binding.binding, item.fields);
      if (!result.ok) throw new Error(result.reason);
      facts.push(toFact(dataset, result.row, 'doc', item.rowNumber));
    }
    expect(facts.map((fact) => [fact.key, fact.windowStart])).toEqual([
      ['36:5f0c1c8e-6a1e-4c4e-9d3b-2f1f3c2a9b101:1', '2026-05-01T07:15:00.000Z'],
      ['36:5f0c1c8e-6a1e-4c4e-9d3b-2f1f3c2a9b101:2', '2026-05-01T07:15:00.000Z'],
    ]);
    expect(facts[1]?.values).toMatchObject({ gift: true, note: 'gift wrap, please', amount: 5 });
  });
});
