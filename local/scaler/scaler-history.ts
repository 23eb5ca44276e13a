/**
 * Numbers a load-test report can put side by side for the two modes, from the scaler's history:
 * how fast it reacted, how far it went and what it cost in instance time.
 */
import type { ScalerSample } from './local-scaler.js';

export interface ScalerHistorySummary {
  /** From the first sample with lag to the first sample with more instances than at the start; undefined if it never scaled out. */
  readonly reactionMs: number | undefined;
  readonly peakInstances: number;
  /** Σ instances × time between samples (each sample's count holds until the next one). */
  readonly instanceSeconds: number;
  /** Σ lag × time between samples: events waiting, integrated over time. */
  readonly lagEventSeconds: number;
  /** Highest lag seen. */
  readonly peakLag: number;
  /** From the last sample with lag to the first later sample back at the starting count; undefined if it did not return. */
  readonly scaleInAfterDrainMs: number | undefined;
}

export function summarizeScalerHistory(history: readonly ScalerSample[]): ScalerHistorySummary {
  if (history.length === 0)
    return { reactionMs: undefined, peakInstances: 0, instanceSeconds: 0, lagEventSeconds: 0, peakLag: 0, scaleInAfterDrainMs: undefined };
  const start = history[0]!.instances;
  let instanceSeconds = 0;
  let lagEventSeconds = 0;
  for (let index = 0; index + 1 < history.length; index += 1) {
    const seconds = (history[index + 1]!.at - history[index]!.at) / 1000;
    instanceSeconds += history[index]!.instances * seconds;
    lagEventSeconds += history[index]!.lag * seconds;
  }
  const firstLag = history.find((sample) => sample.lag > 0);
  const firstOut = history.find((sample) => sample.instances > start);
  const reactionMs = firstLag && firstOut ? Math.max(0, firstOut.at - firstLag.at) : undefined;
  let lastLagIndex = -1;
  history.forEach((sample, index) => {
    if (sample.lag > 0) lastLagIndex = index;
  });
  const drained = lastLagIndex >= 0 ? history[lastLagIndex + 1] : undefined;
  const backIn = drained && firstOut ? history.slice(lastLagIndex + 1).find((sample) => sample.instances <= start) : undefined;
  return {
    reactionMs,
    peakInstances: Math.max(...history.map((sample) => sample.instances)),
    instanceSeconds,
    lagEventSeconds,
    peakLag: Math.max(...history.map((sample) => sample.lag)),
    scaleInAfterDrainMs: backIn && drained ? backIn.at - drained.at : undefined,
  };
}
