import { solve } from './logistic-regression';

/**
 * Weighted least squares of `y` on `rows` (with an intercept), columns standardised inside and
 * a tiny ridge so a constant or collinear column (a family nobody used in a window) cannot make
 * it singular. Returns the fitted linear predictor on raw rows. Pure and deterministic.
 */
export function fitLinear(
  rows: readonly (readonly number[])[],
  y: readonly number[],
  weights: readonly number[],
  ridge = 1e-6,
): (row: readonly number[]) => number {
  const n = rows.length;
  const p = rows[0]?.length ?? 0;
  let total = 0;
  for (const w of weights) total += w;
  const mean = new Float64Array(p);
  const scale = new Float64Array(p);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < p; j++) mean[j] += (weights[i] * rows[i][j]) / total;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) scale[j] += (weights[i] * (rows[i][j] - mean[j]) ** 2) / total;
  }
  for (let j = 0; j < p; j++) scale[j] = scale[j] > 0 ? 1 / Math.sqrt(scale[j]) : 0;
  const d = p + 1; // intercept first
  const xtx = new Float64Array(d * d);
  const xty = new Float64Array(d);
  const x = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    x[0] = 1;
    for (let j = 0; j < p; j++) x[j + 1] = (rows[i][j] - mean[j]) * scale[j];
    const w = weights[i];
    for (let j = 0; j < d; j++) {
      xty[j] += w * x[j] * y[i];
      for (let k = j; k < d; k++) xtx[j * d + k] += w * x[j] * x[k];
    }
  }
  for (let j = 0; j < d; j++) {
    for (let k = 0; k < j; k++) xtx[j * d + k] = xtx[k * d + j];
    if (j > 0) xtx[j * d + j] += ridge * total;
  }
  const beta = total > 0 ? solve(xtx, xty, d) : new Float64Array(d);
  return (row) => {
    let out = beta[0];
    for (let j = 1; j < d; j++) out += beta[j] * (row[j - 1] - mean[j - 1]) * scale[j - 1];
    return out;
  };
}
