/**
 * The selector filter a receiver attaches with says where reading starts. The SDK writes one
 * comparison on one annotation, e.g. `amqp.annotation.x-opt-offset > '-1'` (earliest),
 * `… > '@latest'`, `amqp.annotation.x-opt-sequence-number >= '42'`, `amqp.annotation.x-opt-enqueued-time > '1700000000000'`.
 */
export type StartPosition =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  | { kind: 'offset'; offset: number; inclusive: boolean }
  | { kind: 'sequence'; sequenceNumber: number; inclusive: boolean }
  | { kind: 'time'; timeMs: number; inclusive: boolean };

const SELECTOR = /^\s*amqp\.annotation\.(x-opt-offset|x-opt-sequence-number|x-opt-enqueued-time)\s*(>=|>)\s*'([^']*)'\s*$/i;

/** Parses a selector; `undefined` when it is not one of the forms the service supports. */
export function parseStartPosition(selector: string): StartPosition | undefined {
  const [, annotationName, operator, value] = SELECTOR.exec(selector) ?? [];
  if (annotationName === undefined || value === undefined) return undefined;
  const annotation = annotationName.toLowerCase();
  const inclusive = operator === '>=';
  if (annotation === 'x-opt-offset') {
    if (value === '@latest') return { kind: 'latest' };
    if (value === '-1' && !inclusive) return { kind: 'earliest' };
    if (!/^\d+$/.test(value)) return undefined;
    return { kind: 'offset', offset: Number(value), inclusive };
  }
  if (!/^-?\d+$/.test(value)) return undefined;
  if (annotation === 'x-opt-sequence-number') return { kind: 'sequence', sequenceNumber: Number(value), inclusive };
  return { kind: 'time', timeMs: Number(value), inclusive };
}
