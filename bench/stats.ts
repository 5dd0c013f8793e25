/** Small statistics for comparing two sets of timings, with no dependencies. */

export function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (at - low);
}

export const median = (values: number[]) => quantile(values, 0.5);

/** The complementary error function (Numerical Recipes' erfcc, accurate to about 1e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}

export interface RankTest {
  /** Mann–Whitney U of `a` (how many (a, b) pairs have a > b, ties counting a half). */
  u: number;
  /** The normal approximation's z, corrected for ties and continuity. */
  z: number;
  /** Two-sided p-value. */
  p: number;
  /**
   * U / (n·m): the chance that a random request of `a` is slower than one of `b`. An observer
   * who times one request and calls it `a` when it is slow guesses right max(auc, 1 − auc) of
   * the time; 0.5 means the timing tells nothing.
   */
  auc: number;
}

/** The Mann–Whitney U (Wilcoxon rank-sum) test of whether `a` and `b` come from one distribution. */
export function mannWhitney(a: number[], b: number[]): RankTest {
  const n = a.length;
  const m = b.length;
  const all = [...a.map((value) => ({ value, fromA: true })), ...b.map((value) => ({ value, fromA: false }))].sort((x, y) => x.value - y.value);
  let rankSumA = 0;
  let tieTerm = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]!.value === all[i]!.value) j += 1;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k += 1) if (all[k]!.fromA) rankSumA += rank;
    const tied = j - i + 1;
    tieTerm += tied ** 3 - tied;
    i = j + 1;
  }
  const u = rankSumA - (n * (n + 1)) / 2;
  const mean = (n * m) / 2;
  const variance = ((n * m) / 12) * (n + m + 1 - tieTerm / ((n + m) * (n + m - 1)));
  const z = variance > 0 ? (Math.abs(u - mean) - 0.5) / Math.sqrt(variance) : 0;
  return { u, z: Math.max(0, z) * Math.sign(u - mean), p: Math.min(1, erfc(Math.max(0, z) / Math.SQRT2)), auc: u / (n * m) };
}
