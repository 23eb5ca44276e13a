/**
 * When a file is complete, the one definition both dialects' manifest statements use: extract has
 * finished (it recorded how many chunks it sent) and that many chunks are loaded. Extract and
 * transform run concurrently, so either of the two updates below can be the one that completes a
 * file; each predicate is the rule applied to the values the row has once that update has run.
 */

/** How a dialect writes identifiers and string constants. */
export interface SqlSpelling {
  readonly name: (identifier: string) => string;
  readonly text: (value: string) => string;
}

/**
 * The update the predicate is for, both with `@chunks` bound:
 * - `extract-finished`: extract records its chunk count, `@chunks`;
 * - `chunks-loaded`: `@chunks` more chunks are loaded.
 */
export type ManifestUpdate = 'extract-finished' | 'chunks-loaded';

/** SQL that is true when the file is complete after `update`, in the dialect's spelling. */
export function fileCompletePredicate(sql: SqlSpelling, update: ManifestUpdate): string {
  const { name, text } = sql;
  // Extract finished: true by construction when this update finishes it; otherwise only a file in
  // `loading` has finished extract (a failed or complete one must not move).
  const extractFinished =
    update === 'extract-finished' ? [] : [`${name('state')} = ${text('loading')}`, `${name('extracted_at')} IS NOT NULL`];
  const chunksLoaded = update === 'chunks-loaded' ? `${name('chunks_loaded')} + @chunks` : name('chunks_loaded');
  const chunks = update === 'extract-finished' ? '@chunks' : name('chunks');
  return [...extractFinished, `${chunksLoaded} >= ${chunks}`].join(' AND ');
}
