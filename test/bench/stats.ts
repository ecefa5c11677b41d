/**
 * Pure statistics for the benchmarks: summaries of repeated samples, a least-squares line, and a linearity
 * verdict for the scaling curve. No I/O, so the unit tests can pin the behaviour exactly.
 */

/** min / median / max (and mean) of a set of samples. */
export interface Summary {
  readonly min: number;
  readonly median: number;
  readonly max: number;
  readonly mean: number;
}

/** Summarizes samples; the median of an even count is the mean of the two middle values. */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error('summarize needs at least one sample, got none');
  if (samples.some((s) => !Number.isFinite(s))) throw new Error(`samples must be finite numbers, got [${samples.join(', ')}]`);
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return { min: sorted[0], median, max: sorted[sorted.length - 1], mean };
}

/** A least-squares line y = intercept + slope * x, with its coefficient of determination. */
export interface LinearFit {
  readonly slope: number;
  readonly intercept: number;
  /** 1 for a perfect line; 1 as well when every y is equal (the line explains everything there is). */
  readonly r2: number;
}

/** Ordinary least squares over (x, y) points. Needs at least two distinct x values. */
export function leastSquares(xs: readonly number[], ys: readonly number[]): LinearFit {
  if (xs.length !== ys.length) throw new Error(`leastSquares needs as many x as y values, got ${xs.length} and ${ys.length}`);
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i] - mx) ** 2;
    sxy += (xs[i] - mx) * (ys[i] - my);
    syy += (ys[i] - my) ** 2;
  }
  if (n < 2 || sxx === 0) throw new Error(`leastSquares needs at least two distinct x values, got [${xs.join(', ')}]`);
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let ssRes = 0;
  for (let i = 0; i < n; i++) ssRes += (ys[i] - (intercept + slope * xs[i])) ** 2;
  const r2 = syy === 0 ? 1 : 1 - ssRes / syy;
  return { slope, intercept, r2 };
}

/** The marginal cost between two consecutive sizes: (y2 - y1) / (x2 - x1). */
export interface Segment {
  readonly from: number;
  readonly to: number;
  readonly slope: number;
}

/** How cost grows with the number of charts. */
export interface GrowthAnalysis {
  readonly fit: LinearFit;
  /** Marginal cost between consecutive sizes (sorted by size). */
  readonly segments: Segment[];
  /**
   * Last segment's marginal cost divided by the one before it. About 1 when cost is linear, about 5 for a
   * quadratic cost over sizes 100 -> 500 after 10 -> 100. Undefined with fewer than two segments, or when
   * the earlier segment is not positive (noise dominates it).
   */
  readonly marginalRatio?: number;
  /**
   * `linear`: the line fits (r² ≥ minR2) and the marginal cost does not grow; `superlinear`: the marginal cost grows
   * (ratio > maxMarginalRatio), e.g. an app-wide pass per chart; `sublinear`: the line fits less well because the
   * marginal cost falls (ratio < 1), e.g. a fixed heap reserve amortized; `irregular`: neither (noise).
   */
  readonly growth: 'linear' | 'sublinear' | 'superlinear' | 'irregular';
  /** What the target asks: cost grows no faster than the number of charts (linear or sublinear). */
  readonly atMostLinear: boolean;
  /** One sentence saying why the verdict is what it is. */
  readonly verdict: string;
}

/**
 * Thresholds for calling growth linear: the straight line must explain at least `minR2` of the variance, and the
 * marginal cost of the last segment may be at most `maxMarginalRatio` times that of the segment before it (a
 * quadratic cost over 10 -> 100 -> 500 gives about 5.5; timing noise on a loaded 2-core machine stays well below 1.5).
 */
export const LINEARITY = { minR2: 0.99, maxMarginalRatio: 1.5 } as const;

/** Fits a line to (size, cost) points and classifies the growth; see {@link LINEARITY}. */
export function analyzeGrowth(points: ReadonlyArray<{ x: number; y: number }>): GrowthAnalysis {
  const sorted = [...points].sort((a, b) => a.x - b.x);
  const fit = leastSquares(sorted.map((p) => p.x), sorted.map((p) => p.y));
  const segments: Segment[] = [];
  for (let i = 1; i < sorted.length; i++) {
    segments.push({ from: sorted[i - 1].x, to: sorted[i].x, slope: (sorted[i].y - sorted[i - 1].y) / (sorted[i].x - sorted[i - 1].x) });
  }
  let marginalRatio: number | undefined;
  if (segments.length >= 2) {
    const prev = segments[segments.length - 2].slope;
    if (prev > 0) marginalRatio = segments[segments.length - 1].slope / prev;
  }
  const r2ok = fit.r2 >= LINEARITY.minR2;
  const growth = marginalRatio !== undefined && marginalRatio > LINEARITY.maxMarginalRatio ? 'superlinear'
    : r2ok ? 'linear'
      : marginalRatio !== undefined && marginalRatio < 1 ? 'sublinear'
        : 'irregular';
  const r2Text = `r² ${fit.r2.toFixed(4)} ${r2ok ? '≥' : '<'} ${LINEARITY.minR2}`;
  const ratioText = marginalRatio === undefined ? 'no marginal-cost ratio' : `marginal cost ratio of the last two segments ${marginalRatio.toFixed(2)}`;
  const why = {
    linear: `${r2Text}, ${ratioText}${marginalRatio === undefined ? '' : ` ≤ ${LINEARITY.maxMarginalRatio}`}`,
    superlinear: `${ratioText} > ${LINEARITY.maxMarginalRatio}: each more chart costs more than the one before`,
    sublinear: `${r2Text}, but ${ratioText} < 1: each more chart costs less than the one before`,
    irregular: `${r2Text} and ${ratioText}: the points follow no line`,
  }[growth];
  return { fit, segments, marginalRatio, growth, atMostLinear: growth === 'linear' || growth === 'sublinear', verdict: `${growth}: ${why}` };
}
