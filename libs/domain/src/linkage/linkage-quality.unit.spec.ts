import { PRIOR_MODEL } from './fellegi-sunter';
import {
  exactKeyLinker,
  fellegiSunterLinker,
  quality,
  qualityBy,
  type QualityRecord,
} from './linkage-quality';

const rec = (
  eventId: string,
  truth: string | null,
  errorKind: string,
  candidates: QualityRecord['candidates'],
): QualityRecord => ({ eventId, truePersonId: truth, recordType: 'visit', errorKind, candidates });

const EXACT = [1, 1, 1, 1, 1];
const TYPO = [3, 1, 1, 1, 1];
const STRANGER = [4, 4, 1, 4, 4];

const records = [
  rec('1', 'a', 'exact', [{ personId: 'a', levels: EXACT }]),
  rec('2', 'a', 'typo', [
    { personId: 'a', levels: TYPO },
    { personId: 'b', levels: STRANGER },
  ]),
  rec('3', 'b', 'exact', [{ personId: 'c', levels: EXACT }]),
  rec('4', 'c', 'missing_postcode', []),
];

describe('linkage quality', () => {
  it('counts a wrong link against precision and recall, no link against recall', () => {
    expect(quality(records, exactKeyLinker)).toEqual({
      records: 4,
      truePositives: 1,
      falsePositives: 1,
      falseNegatives: 3,
      precision: 0.5,
      recall: 0.25,
      f1: (2 * 0.5 * 0.25) / 0.75,
    });
  });

  it('finds the typo with Fellegi-Sunter where the exact key cannot', () => {
    const fs = fellegiSunterLinker(PRIOR_MODEL, 10);
    expect(fs(records[1])).toBe('a');
    expect(exactKeyLinker(records[1])).toBeNull();
    expect(fellegiSunterLinker(PRIOR_MODEL, 1000)(records[1])).toBeNull();
  });

  it('groups by error kind, with no ratio where nothing was predicted', () => {
    const by = qualityBy(records, exactKeyLinker, (r) => r.errorKind);
    expect(Object.keys(by)).toEqual(['exact', 'missing_postcode', 'typo']);
    expect(by.missing_postcode).toMatchObject({ records: 1, precision: null, recall: 0, f1: null });
  });
});
