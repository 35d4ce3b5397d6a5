/**
 * Settings for fast-check properties: a fixed seed so a run is reproducible (fast-check prints
 * the seed and the counterexample path on failure); FC_SEED overrides it to explore further.
 */
export const PROPERTY_SEED = Number(process.env.FC_SEED ?? 0x77736761);

export function propertyRuns(numRuns: number): { numRuns: number; seed: number } {
  return { numRuns, seed: PROPERTY_SEED };
}
