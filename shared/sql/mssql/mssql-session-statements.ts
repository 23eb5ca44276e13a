/** Statements the session itself issues around every transaction. */
import type { TsqlStatement } from './tsql-types.js';

/** With XACT_ABORT any error inside a transaction rolls back all of it: a chunk is never half applied. */
export const XACT_ABORT: TsqlStatement = { text: 'SET XACT_ABORT ON', parameters: {} };
