import { describe, expect, it } from 'vitest';
import { summarizeScalerHistory } from '../scaler-history.js';

const sample = (at: number, lag: number, instances: number) => ({ cause: 'poll' as const, at, lag, desired: instances, instances });

describe('scaler history summary', () => {
  it('measures reaction, peak, instance time, lag time and the scale-in after the drain', () => {
    const summary = summarizeScalerHistory([
      sample(0, 0, 1),
      sample(1000, 50, 1), // lag appears
      sample(2000, 200, 3), // scaled out 1 s after the lag appeared
      sample(4000, 20, 3),
      sample(5000, 0, 3), // drained
      sample(8000, 0, 1), // back in 3 s later
      sample(9000, 0, 1),
    ]);
    expect(summary).toEqual({
      reactionMs: 1000,
      peakInstances: 3,
      // 1×1 + 1×1 + 3×2 + 3×1 + 3×3 + 1×1 = 21
      instanceSeconds: 21,
      // 50×1 + 200×2 + 20×1 = 470
      lagEventSeconds: 470,
      peakLag: 200,
      scaleInAfterDrainMs: 3000,
    });
  });

  it('leaves reaction and scale-in undefined when the count never moved', () => {
    const summary = summarizeScalerHistory([sample(0, 10, 1), sample(500, 0, 1)]);
    expect(summary).toMatchObject({
      reactionMs: undefined,
      scaleInAfterDrainMs: undefined,
      peakInstances: 1,
      instanceSeconds: 0.5,
      lagEventSeconds: 5,
    });
    expect(summarizeScalerHistory([])).toMatchObject({ peakInstances: 0, instanceSeconds: 0 });
  });
});
