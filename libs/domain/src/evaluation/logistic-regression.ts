/**
 * Logistic regression by Newton-Raphson (iteratively reweighted least squares) with a small
 * ridge penalty so separated or constant columns cannot make it diverge. Pure and deterministic.
 * Columns are standardised inside; the returned function scores a raw row on the logit scale.
 */
export function fitLogistic(
  rows: readonly (readonly number[])[],
  labels: readonly number[],
  options: { iterations?: number; ridge?: number } = {},
): (row: readonly number[]) => number {
  const n = rows.length;
  const p = rows[0]?.length ?? 0;
  const mean = new Float64Array(p);
  const scale = new Float64Array(p);
  for (const r of rows) for (let j = 0; j < p; j++) mean[j] += r[j] / n;
  for (const r of rows) for (let j = 0; j < p; j++) scale[j] += (r[j] - mean[j]) ** 2 / n;
  for (let j = 0; j < p; j++) scale[j] = scale[j] > 0 ? 1 / Math.sqrt(scale[j]) : 0;
  const d = p + 1; // intercept first
  const x = (r: readonly number[], j: number) =>
    j === 0 ? 1 : (r[j - 1] - mean[j - 1]) * scale[j - 1];
  const beta = new Float64Array(d);
  const ridge = options.ridge ?? 1e-3;
  for (let it = 0; it < (options.iterations ?? 25); it++) {
    const grad = new Float64Array(d);
    const hess = new Float64Array(d * d);
    for (let i = 0; i < n; i++) {
      const r = rows[i];
      let eta = 0;
      for (let j = 0; j < d; j++) eta += beta[j] * x(r, j);
      const mu = 1 / (1 + Math.exp(-eta));
      const w = mu * (1 - mu);
      for (let j = 0; j < d; j++) {
        const xj = x(r, j);
        grad[j] += (labels[i] - mu) * xj;
        for (let k = j; k < d; k++) hess[j * d + k] += w * xj * x(r, k);
      }
    }
    for (let j = 0; j < d; j++) {
      for (let k = 0; k < j; k++) hess[j * d + k] = hess[k * d + j];
      hess[j * d + j] += ridge * n;
      grad[j] -= ridge * n * beta[j];
    }
    const step = solve(hess, grad, d);
    let change = 0;
    for (let j = 0; j < d; j++) {
      beta[j] += step[j];
      change = Math.max(change, Math.abs(step[j]));
    }
    if (change < 1e-8) break;
  }
  return (row) => {
    let eta = beta[0];
    for (let j = 1; j < d; j++) eta += beta[j] * (row[j - 1] - mean[j - 1]) * scale[j - 1];
    return eta;
  };
}

/** Solves A x = b (A symmetric positive definite, d x d) by Gaussian elimination. */
export function solve(a: Float64Array, b: Float64Array, d: number): Float64Array {
  const m = Float64Array.from(a);
  const v = Float64Array.from(b);
  for (let c = 0; c < d; c++) {
    let pivot = c;
    for (let r = c + 1; r < d; r++)
      if (Math.abs(m[r * d + c]) > Math.abs(m[pivot * d + c])) pivot = r;
    if (pivot !== c) {
      for (let k = 0; k < d; k++)
        [m[c * d + k], m[pivot * d + k]] = [m[pivot * d + k], m[c * d + k]];
      [v[c], v[pivot]] = [v[pivot], v[c]];
    }
    const diag = m[c * d + c] || 1e-12;
    for (let r = c + 1; r < d; r++) {
      const f = m[r * d + c] / diag;
      if (f === 0) continue;
      for (let k = c; k < d; k++) m[r * d + k] -= f * m[c * d + k];
      v[r] -= f * v[c];
    }
  }
  const out = new Float64Array(d);
  for (let r = d - 1; r >= 0; r--) {
    let s = v[r];
    for (let k = r + 1; k < d; k++) s -= m[r * d + k] * out[k];
    out[r] = s / (m[r * d + r] || 1e-12);
  }
  return out;
}
