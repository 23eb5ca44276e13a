/**
 * Free text bound for a sized column (a file's error): cut to what the column holds instead of
 * failing the statement. A value over its NVARCHAR size is refused by Azure SQL (and its parameter
 * by the driver), and the failure would hide the very reason being recorded. SQLite stores the same
 * cut text, so both stores read back alike.
 */

/** `etl_files.error` holds NVARCHAR(4000): a file's failure reason is cut to this many characters. */
export const FILE_ERROR_LENGTH = 4000;

const ELLIPSIS = '…';

/**
 * `text` when it fits in `maxLength` UTF-16 code units (what NVARCHAR counts); otherwise its start
 * followed by `…`, `maxLength` units in all, never splitting a surrogate pair.
 */
export function fitText(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  let end = maxLength - ELLIPSIS.length;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1; // a high surrogate whose pair would be cut off
  return `${text.slice(0, Math.max(0, end))}${ELLIPSIS}`;
}
