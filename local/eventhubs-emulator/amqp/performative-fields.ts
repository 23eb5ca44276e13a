/**
 * Outgoing performatives with every field present, as Azure's AMQP stack writes them.
 *
 * rhea drops trailing fields it was not given (a `begin` without `handle-max`, an `end` as an empty
 * list, an error without `info`). The spec allows that, but clients written against Azure read
 * fields by position (Python's pyamqp indexes `frame[4]` of a begin, `frame[11]` of a transfer for
 * its payload, `error[2]` for the info), so each list is padded to its full field count, nested
 * composites (source, target, error, outcomes) included, and the fields Azure always fills are filled
 * with Azure's values. The facts and their sources are in docs/eventhubs-wire-protocol.md.
 */
import { amqpTypes as types, type Typed } from './rhea-codec.js';

/** Field counts of the AMQP 1.0 composites the emulator sends, by descriptor code. */
const FIELD_COUNTS: ReadonlyMap<number, number> = new Map([
  [0x10, 10], // open
  [0x11, 8], // begin
  [0x12, 14], // attach
  [0x13, 11], // flow
  [0x14, 11], // transfer
  [0x15, 6], // disposition
  [0x16, 3], // detach
  [0x17, 1], // end
  [0x18, 1], // close
  [0x1d, 3], // error
  [0x23, 2], // received
  [0x24, 0], // accepted
  [0x25, 1], // rejected
  [0x26, 0], // released
  [0x27, 3], // modified
  [0x28, 11], // source
  [0x29, 7], // target
]);

const BEGIN = 0x11;
const ATTACH = 0x12;
const FLOW = 0x13;
const TRANSFER = 0x14;

/** Azure's session announces 256 Ki − 1 link handles (the default of its AMQP library). */
export const HANDLE_MAX = 262_143;
/** What Azure puts in `max-message-size` where it imposes none: the largest ulong (2^64 − 1). */
const UNLIMITED_MESSAGE_SIZE = Buffer.alloc(8, 0xff);

/** A rhea performative as handed to `_write_frame`: its descriptor and field array (holes = unset). */
export interface RheaPerformative {
  value: Array<Typed | undefined>;
  constructor: { descriptor?: { numeric?: number } };
}

interface DescribedTyped {
  descriptor?: { value?: unknown };
  value?: unknown;
}

function isUnset(field: unknown): boolean {
  return field === undefined || field === null || (field as { type?: { name?: string } }).type?.name === 'Null';
}

/** Pads a described list nested in a field (source, target, error, outcome), and what it nests. */
function completeNested(field: unknown, depth: number): void {
  if (depth > 3 || field === null || typeof field !== 'object') return;
  const described = field as DescribedTyped;
  const code = described.descriptor?.value;
  const items = described.value;
  if (typeof code !== 'number' || !Array.isArray(items)) return;
  const count = FIELD_COUNTS.get(code);
  if (count === undefined) return;
  for (const item of items) completeNested(item, depth + 1);
  while (items.length < count) items.push(types.Null());
}

/**
 * Completes a performative in place before rhea encodes it: full field count, nested composites
 * padded, and Azure's values where it always sends one.
 */
export function completePerformative(performative: RheaPerformative | undefined): void {
  if (!performative || !Array.isArray(performative.value)) return;
  const code = performative.constructor.descriptor?.numeric;
  if (code === undefined) return;
  const count = FIELD_COUNTS.get(code);
  if (count === undefined) return;
  const fields = performative.value;
  if (code === TRANSFER) {
    // The hot path: a transfer carries no nested composite unless it has a state.
    if (fields[7] !== undefined) completeNested(fields[7], 0);
    if (fields.length < count) fields.length = count;
    return;
  }
  for (let index = 0; index < fields.length; index++) completeNested(fields[index], 0);
  if (code === BEGIN && isUnset(fields[4])) fields[4] = types.wrap_uint(HANDLE_MAX);
  if (code === ATTACH && isUnset(fields[10])) fields[10] = types.wrap_ulong(UNLIMITED_MESSAGE_SIZE as never);
  if (code === FLOW && !isUnset(fields[4])) {
    // Link flow state: Azure always states what it has available (0 on a receiving link) and echo false.
    if (isUnset(fields[7])) fields[7] = types.wrap_uint(0);
    if (isUnset(fields[9])) fields[9] = types.wrap_boolean(false);
  }
  if (fields.length < count) fields.length = count;
}
