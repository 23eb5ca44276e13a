import { describe, expect, it } from 'vitest';
import { functionsTargetFromHostJson } from '../pipeline-autoscaler.js';
import { functionsConcurrency, scalingOptions } from '../scaling-formulas.js';

describe('the Functions target from host.json', () => {
  it('takes the batch size, and the threshold when set, as the extension does', () => {
    const batchOnly = { extensions: { eventHubs: { maxEventBatchSize: 50, minEventBatchSize: 25 } } };
    expect(functionsTargetFromHostJson(batchOnly)).toEqual({ maxEventBatchSize: 50 });
    expect(functionsConcurrency(scalingOptions('functions', { functions: functionsTargetFromHostJson(batchOnly) }).functions)).toBe(50);
    const withThreshold = { extensions: { eventHubs: { maxEventBatchSize: 50, targetUnprocessedEventThreshold: 400 } } };
    expect(functionsConcurrency(scalingOptions('functions', { functions: functionsTargetFromHostJson(withThreshold) }).functions)).toBe(
      400,
    );
  });

  it('keeps the extension default when host.json says nothing usable', () => {
    expect(functionsTargetFromHostJson(undefined)).toEqual({});
    expect(functionsTargetFromHostJson({ extensions: { eventHubs: { maxEventBatchSize: 'many' } } })).toEqual({});
    expect(scalingOptions('functions', { functions: { maxEventBatchSize: undefined } }).functions.maxEventBatchSize).toBe(100);
  });
});
