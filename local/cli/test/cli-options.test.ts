import { describe, expect, it } from 'vitest';
import { describeInstances, oneOf, parseInstances } from '../cli-options.js';

describe('command-line options', () => {
  it('oneOf accepts a choice and names the choices otherwise', () => {
    expect(oneOf('placement', ['shared', 'per-function'], 'shared')).toBe('shared');
    expect(() => oneOf('placement', ['shared', 'per-function'], 'both')).toThrow(
      "--placement must be one of shared, per-function, got 'both'",
    );
  });

  it('--instances takes a count, counts per function, or both', () => {
    expect(parseInstances('3')).toEqual({ each: 3, perFunction: {} });
    expect(parseInstances('transform=2')).toEqual({ each: 1, perFunction: { transform: 2 } });
    expect(parseInstances('2, transform=3,aggregate=1')).toEqual({ each: 2, perFunction: { transform: 3, aggregate: 1 } });
    // Names that objects inherit are names like any other.
    expect(parseInstances('constructor=2')).toEqual({ each: 1, perFunction: { constructor: 2 } });
    expect(parseInstances('32').each).toBe(32);
  });

  it('describes the counts for reports', () => {
    expect(describeInstances(parseInstances('1'), 'per-function')).toBe('1 process(es) per function');
    expect(describeInstances(parseInstances('transform=2,aggregate=3'), 'per-function')).toBe(
      '1 process(es) per function (transform 2, aggregate 3)',
    );
    expect(describeInstances(parseInstances('2'), 'shared')).toBe('2 host process(es), every function in each');
  });

  it('--instances refuses what it cannot mean', () => {
    expect(() => parseInstances('0')).toThrow("--instances: '0' needs a positive whole count");
    expect(() => parseInstances('transform=1.5')).toThrow("'transform=1.5' needs a positive whole count");
    expect(() => parseInstances('transform=')).toThrow('needs a positive whole count');
    expect(() => parseInstances('transform=2,transform=3')).toThrow("names 'transform' twice");
    expect(() => parseInstances('1,2')).toThrow('two counts for every function');
    expect(() => parseInstances('')).toThrow("--instances '' has an empty item");
    expect(() => parseInstances('transform=2,')).toThrow("--instances 'transform=2,' has an empty item (a stray comma?)");
    expect(() => parseInstances('33')).toThrow("--instances: '33' asks for more than 32 processes");
  });
});
