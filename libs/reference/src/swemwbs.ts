import { readReferenceCsv } from './data-files';

let table: Map<number, number> | undefined;

/**
 * SWEMWBS metric score of a raw total (7-35), from the published Rasch conversion table
 * (Stewart-Brown et al. 2009; © NHS Health Scotland, University of Warwick and University of
 * Edinburgh). Throws `RangeError` for anything that is not an integer 7-35.
 */
export function swemwbsMetric(raw: number): number {
  table ??= new Map(
    readReferenceCsv('swemwbs_conversion.csv').map((r) => [
      Number(r.raw_score),
      Number(r.metric_score),
    ]),
  );
  const metric = table.get(raw);
  if (metric === undefined) throw new RangeError('SWEMWBS raw score must be an integer 7-35');
  return metric;
}
