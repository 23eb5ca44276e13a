/**
 * The calibration check: with this machine's parameters (2 shared cores, the local partitions, the
 * local scaler's polls and holds), the simulation reproduces every measured run recorded in
 * simulation/calibration-runs.ts within ±25 % on the time to drain, at a peak instance count the
 * runs reached. If a case fails, the model is wrong, not the tolerance.
 */
import { describe, expect, it } from 'vitest';
import { calibratedValues } from '../calibration.js';
import { CALIBRATION_CASES } from '../calibration-runs.js';
import { DRAIN_TOLERANCE, calibrationTable, checkCase } from '../run/calibration-check.js';

describe('calibration against the measured local runs', () => {
  const inputs = calibratedValues();

  it('keeps the stated tolerance', () => {
    expect(DRAIN_TOLERANCE).toBe(0.25);
    expect(CALIBRATION_CASES.length).toBeGreaterThanOrEqual(6);
  });

  for (const entry of CALIBRATION_CASES) {
    it(`${entry.name}: npm run ${entry.command} -- ${entry.args.join(' ')}`, () => {
      const outcome = checkCase(inputs, entry);
      const table = calibrationTable([outcome]);
      expect(outcome.drainOk, table).toBe(true);
      expect(outcome.peakOk, table).toBe(true);
    });
  }

  it('is deterministic: the same inputs give the same runs', () => {
    const [first] = CALIBRATION_CASES;
    expect(checkCase(inputs, first!)).toEqual(checkCase(inputs, first!));
  });
});
