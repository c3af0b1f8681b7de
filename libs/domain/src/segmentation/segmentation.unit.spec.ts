import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONDITION_CLUSTERS, NEEDS, PRESCRIPTION_OUTCOMES, SEXES } from '@linkage/contracts';
import { ACTIVITY_TYPES } from '../outcomes/outcome-measures';
import { evaluatePerson, type PersonEvaluation } from './evaluate';
import {
  decideSegmentRun,
  evolveMembership,
  initialMembershipState,
  segmentSizes,
  type MembershipState,
} from './membership';
import type { PersonFacts } from './person-facts';
import type { Ruleset } from './ruleset';
import { validateRuleset, type RulesetVocabulary } from './validate-ruleset';

const vocabulary: RulesetVocabulary = {
  clusters: CONDITION_CLUSTERS,
  activities: ACTIVITY_TYPES,
  needs: NEEDS,
  prescriptionOutcomes: PRESCRIPTION_OUTCOMES,
  sexes: SEXES,
};
const RULESETS = path.join(__dirname, '..', '..', '..', 'segmentation', 'rulesets');
function shipped(id: string): Ruleset {
  const result = validateRuleset(
    JSON.parse(fs.readFileSync(path.join(RULESETS, `${id}.json`), 'utf8')),
    vocabulary,
  );
  if (!result.ok) throw new Error(JSON.stringify(result.faults));
  return result.ruleset;
}
const b2h = shipped('bridges-to-health');
const systemP = shipped('system-p');
const operational = shipped('operational');

const AS_OF = '2025-03-31';

/** A person of 50 in IMD decile 5 with nothing on record, plus the given facts. */
function person(overrides: Partial<PersonFacts> = {}): PersonFacts {
  return {
    personId: 'p1',
    yearOfBirth: 1975,
    sex: 'F',
    imdDecile: 5,
    deathDate: null,
    optedOut: false,
    conditions: [],
    activity: [],
    lifeRooms: { contacts: [], referrals: [], prescriptions: [], outcomes: [] },
    ...overrides,
  };
}
const on = (cluster: string, recordedOn = '2020-01-01', resolvedOn: string | null = null) => ({
  cluster,
  recordedOn,
  resolvedOn,
});
const act = (activity: string, ...dates: string[]) => dates.map((date) => ({ activity, date }));
const segmentsOf = (e: PersonEvaluation) => e.placements.map((p) => p.segment);

describe('bridges-to-health (hierarchical: the highest applicable segment wins)', () => {
  const place = (facts: PersonFacts, asOf = AS_OF) => segmentsOf(evaluatePerson(b2h, facts, asOf));

  it('puts someone with nothing on record in generally well, alone', () => {
    expect(place(person())).toEqual(['bridges-to-health.generally-well']);
  });

  it('puts dementia with diabetes in frailty and dementia only, with the dementia subsegment', () => {
    expect(place(person({ conditions: [on('dementia'), on('diabetes')] }))).toEqual([
      'bridges-to-health.frailty-and-dementia',
      'bridges-to-health.frailty-and-dementia.dementia',
    ]);
  });

  it('puts 80+ with three long-term conditions in frailty (proxy), but not at 79', () => {
    const three = [on('diabetes'), on('copd'), on('stroke')];
    expect(place(person({ yearOfBirth: 1945, conditions: three }))).toEqual([
      'bridges-to-health.frailty-and-dementia',
      'bridges-to-health.frailty-and-dementia.frailty',
    ]);
    expect(place(person({ yearOfBirth: 1946, conditions: three }))[0]).toBe(
      'bridges-to-health.long-term-conditions',
    );
  });

  it('ranks organ failure above incurable cancer, and incurable cancer above disability', () => {
    expect(place(person({ conditions: [on('metastatic_cancer'), on('heart_failure')] }))[0]).toBe(
      'bridges-to-health.organ-failure',
    );
    expect(
      place(person({ conditions: [on('metastatic_cancer'), on('learning_disability')] })),
    ).toEqual(['bridges-to-health.incurable-cancer']);
  });

  it('ranks disability above long-term conditions, and those above maternal health', () => {
    expect(place(person({ conditions: [on('physical_disability'), on('asthma')] }))).toEqual([
      'bridges-to-health.disability',
      'bridges-to-health.disability.physical-disability',
    ]);
    expect(place(person({ conditions: [on('pregnancy', '2025-01-01'), on('asthma')] }))).toEqual([
      'bridges-to-health.long-term-conditions',
      'bridges-to-health.long-term-conditions.asthma',
    ]);
    expect(place(person({ conditions: [on('pregnancy', '2025-01-01')] }))).toEqual([
      'bridges-to-health.maternal-and-infant-health',
    ]);
  });

  it('gives every matching condition subsegment, and multimorbidity for two or more', () => {
    expect(place(person({ conditions: [on('diabetes'), on('depression')] }))).toEqual([
      'bridges-to-health.long-term-conditions',
      'bridges-to-health.long-term-conditions.diabetes',
      'bridges-to-health.long-term-conditions.mental-health',
      'bridges-to-health.long-term-conditions.multimorbidity',
    ]);
  });

  it('counts COPD as organ failure only with an emergency admission in the 12 months to the as-of date', () => {
    const copd = [on('copd')];
    expect(
      place(person({ conditions: copd, activity: act('emergency_admission', '2024-04-01') })),
    ).toEqual(['bridges-to-health.organ-failure', 'bridges-to-health.organ-failure.severe-copd']);
    // 2024-03-31 is exactly 12 months before: outside the window (asOf - 12 months, asOf].
    expect(
      place(person({ conditions: copd, activity: act('emergency_admission', '2024-03-31') }))[0],
    ).toBe('bridges-to-health.long-term-conditions');
  });

  describe('as of a date', () => {
    it('ignores a condition first recorded after the as-of date', () => {
      const facts = person({ conditions: [on('dementia', '2025-04-01')] });
      expect(place(facts)).toEqual(['bridges-to-health.generally-well']);
      expect(place(facts, '2025-04-01')[0]).toBe('bridges-to-health.frailty-and-dementia');
    });

    it('drops a condition resolved on or before the as-of date, keeps one resolved later', () => {
      expect(place(person({ conditions: [on('asthma', '2020-01-01', '2025-03-31')] }))).toEqual([
        'bridges-to-health.generally-well',
      ]);
      expect(place(person({ conditions: [on('asthma', '2020-01-01', '2025-04-01')] }))[0]).toBe(
        'bridges-to-health.long-term-conditions',
      );
    });

    it('places the same person differently on different dates', () => {
      const facts = person({ conditions: [on('pregnancy', '2024-06-01', '2025-02-01')] });
      expect(place(facts, '2024-05-31')).toEqual(['bridges-to-health.generally-well']);
      expect(place(facts, '2024-12-01')).toEqual(['bridges-to-health.maternal-and-infant-health']);
      expect(place(facts, '2025-03-31')).toEqual(['bridges-to-health.generally-well']);
    });
  });

  it('leaves out people who opted out, and people who died on or before the as-of date', () => {
    expect(evaluatePerson(b2h, person({ optedOut: true }), AS_OF)).toEqual({
      personId: 'p1',
      placements: [],
      excluded: 'opted_out',
    });
    expect(evaluatePerson(b2h, person({ deathDate: AS_OF }), AS_OF).excluded).toBe('died');
    expect(place(person({ deathDate: '2025-04-01' }))).toEqual([
      'bridges-to-health.generally-well',
    ]);
  });

  it('records which criteria placed the person', () => {
    const e = evaluatePerson(b2h, person({ conditions: [on('dementia')] }), AS_OF);
    expect(e.placements[0].criteria).toEqual(['condition:dementia']);
  });
});

describe('system-p (independent)', () => {
  const place = (facts: PersonFacts, asOf = AS_OF) =>
    segmentsOf(evaluatePerson(systemP, facts, asOf));
  const smiDeprived = { conditions: [on('serious_mental_illness')], imdDecile: 2 };

  it('Complex Lives: SMI, deprivation and crisis care in 24 months', () => {
    const facts = person({ ...smiDeprived, activity: act('crisis_contact', '2023-04-01') });
    expect(place(facts)).toEqual(['system-p.complex-lives', 'system-p.complex-lives.crisis-care']);
    expect(evaluatePerson(systemP, facts, AS_OF).placements[0].criteria).toEqual([
      'condition:serious_mental_illness|substance_misuse|alcohol_dependence',
      'deprivation:imd 1-2',
      'crisis care in 24 months',
    ]);
  });

  it('Complex Lives: not without deprivation, not without crisis or social need, not with crisis 25 months ago', () => {
    expect(
      place(
        person({ ...smiDeprived, imdDecile: 3, activity: act('crisis_contact', '2024-01-01') }),
      ),
    ).toEqual([]);
    expect(place(person(smiDeprived))).toEqual([]);
    expect(
      place(person({ ...smiDeprived, activity: act('crisis_contact', '2023-02-28') })),
    ).toEqual([]);
  });

  it('Complex Lives: substance misuse with a housing prescription from the Life Rooms', () => {
    const lifeRooms = {
      contacts: ['2024-05-01'],
      referrals: [],
      prescriptions: [{ prescriptionId: 'sp1', need: 'housing', date: '2024-05-01' }],
      outcomes: [],
    };
    const facts = person({ conditions: [on('substance_misuse')], imdDecile: 1, lifeRooms });
    expect(place(facts)).toEqual(['system-p.complex-lives', 'system-p.complex-lives.social-need']);
    const isolation = {
      ...lifeRooms,
      prescriptions: [{ prescriptionId: 'sp1', need: 'isolation', date: '2024-05-01' }],
    };
    expect(place({ ...facts, lifeRooms: isolation })).toEqual([]);
  });

  it('Frailty and Dementia: 65 and over with dementia, many conditions or two emergency admissions', () => {
    expect(place(person({ yearOfBirth: 1960, conditions: [on('dementia')] }))).toEqual([
      'system-p.frailty-and-dementia',
      'system-p.frailty-and-dementia.dementia',
    ]);
    expect(place(person({ yearOfBirth: 1961, conditions: [on('dementia')] }))).toEqual([]);
    expect(
      place(
        person({
          yearOfBirth: 1950,
          activity: act('emergency_admission', '2024-06-01', '2025-01-01'),
        }),
      ),
    ).toEqual(['system-p.frailty-and-dementia']);
    expect(
      place(person({ yearOfBirth: 1950, activity: act('emergency_admission', '2025-01-01') })),
    ).toEqual([]);
  });

  it('puts someone in both focus segments when both apply', () => {
    const facts = person({
      yearOfBirth: 1950,
      imdDecile: 1,
      conditions: [on('dementia'), on('alcohol_dependence')],
      activity: act('crisis_contact', '2025-03-01'),
    });
    expect(place(facts)).toEqual([
      'system-p.complex-lives',
      'system-p.complex-lives.crisis-care',
      'system-p.frailty-and-dementia',
      'system-p.frailty-and-dementia.dementia',
    ]);
  });
});

describe('operational (independent)', () => {
  const place = (facts: PersonFacts, asOf = AS_OF) =>
    segmentsOf(evaluatePerson(operational, facts, asOf));
  const lr = (x: Partial<PersonFacts['lifeRooms']>) => ({
    lifeRooms: { contacts: [], referrals: [], prescriptions: [], outcomes: [], ...x },
  });

  it('high-intensity users: 5 A&E attendances in 12 months, not 4, not when one is older', () => {
    const five = ['2024-04-01', '2024-06-01', '2024-09-01', '2024-12-01', '2025-03-31'];
    expect(place(person({ activity: act('ae_attendance', ...five) }))).toEqual([
      'operational.high-intensity-users',
    ]);
    expect(place(person({ activity: act('ae_attendance', ...five.slice(1)) }))).toEqual([]);
    expect(
      place(person({ activity: act('ae_attendance', '2024-03-31', ...five.slice(1)) })),
    ).toEqual([]);
    // As of a later date the first of the five falls out of the window.
    expect(place(person({ activity: act('ae_attendance', ...five) }), '2025-04-02')).toEqual([]);
  });

  it('crisis-care users: two crisis contacts in 12 months', () => {
    expect(place(person({ activity: act('crisis_contact', '2024-05-01', '2025-01-01') }))).toEqual([
      'operational.crisis-care-users',
    ]);
    expect(place(person({ activity: act('crisis_contact', '2025-01-01') }))).toEqual([]);
  });

  it('unmet social need: the latest outcome by the as-of date is declined or lost contact', () => {
    const prescriptions = [{ prescriptionId: 'sp1', need: 'debt', date: '2024-10-01' }];
    const declined = {
      prescriptionId: 'sp1',
      outcome: 'declined',
      date: '2024-11-01',
      at: '2024-11-01T10:00:00Z',
    };
    const completed = {
      prescriptionId: 'sp1',
      outcome: 'completed',
      date: '2025-02-01',
      at: '2025-02-01T10:00:00Z',
    };
    expect(place(person(lr({ prescriptions, outcomes: [declined] })))).toEqual([
      'operational.unmet-social-need',
    ]);
    expect(place(person(lr({ prescriptions, outcomes: [declined, completed] })))).toEqual([]);
    // As of before the completion, the need was unmet.
    expect(
      place(person(lr({ prescriptions, outcomes: [declined, completed] })), '2025-01-15'),
    ).toEqual(['operational.unmet-social-need']);
  });

  it('disengaged after referral: referred 30+ days ago with no Life Rooms contact since', () => {
    expect(place(person(lr({ referrals: ['2025-02-01'] })))).toEqual([
      'operational.disengaged-after-referral',
    ]);
    expect(place(person(lr({ referrals: ['2025-03-15'] })))).toEqual([]);
    expect(place(person(lr({ referrals: ['2025-02-01'], contacts: ['2025-02-20'] })))).toEqual([]);
    // A contact before the referral does not count as engaging with it.
    expect(place(person(lr({ referrals: ['2025-02-01'], contacts: ['2024-12-20'] })))).toEqual([
      'operational.disengaged-after-referral',
    ]);
  });

  it('rising risk: unplanned care up in each of the last 3 quarters, at least 2 in the latest', () => {
    const rising = [
      ...act('ae_attendance', '2024-08-01'),
      ...act('nhs111_call', '2024-11-01', '2024-12-01'),
      ...act('ambulance_incident', '2025-01-10', '2025-02-10', '2025-03-10'),
    ];
    expect(place(person({ activity: rising }))).toEqual(['operational.rising-risk']);
    const flat = [...act('ae_attendance', '2024-08-01', '2024-08-02'), ...rising.slice(1)];
    expect(place(person({ activity: flat }))).toEqual([]);
    expect(place(person({ activity: act('ae_attendance', '2025-03-01') }))).toEqual([]);
  });
});

// Rulesets are mutated as plain JSON to plant one fault each.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

describe('validateRuleset', () => {
  const valid = (): Record<string, unknown> => JSON.parse(JSON.stringify(systemP));

  it('accepts every shipped ruleset', () => {
    for (const id of ['bridges-to-health', 'system-p', 'operational']) {
      expect(() => shipped(id)).not.toThrow();
    }
  });

  it.each([
    [
      'an unknown activity',
      (r: Loose) => (r.segments[0].criteria.all[2].any[0].activity = ['bingo']),
      {
        rule: 'complex-lives',
        field: '/segments/0/criteria/all/2/any/0/activity/0',
        reason: 'unknown_activity',
      },
    ],
    [
      'an unknown cluster in a subsegment',
      (r: Loose) => (r.segments[1].subsegments[0].criteria.condition = ['gout']),
      {
        rule: 'frailty-and-dementia.dementia',
        field: '/segments/1/subsegments/0/criteria/condition/0',
        reason: 'unknown_cluster',
      },
    ],
    [
      'an unknown criterion',
      (r: Loose) => (r.segments[1].criteria = { postcode: 'L9' }),
      {
        rule: 'frailty-and-dementia',
        field: '/segments/1/criteria/postcode',
        reason: 'unknown_criterion',
      },
    ],
    [
      'a window of zero months',
      (r: Loose) => (r.segments[1].criteria.all[1].any[2].within = { months: 0 }),
      {
        rule: 'frailty-and-dementia',
        field: '/segments/1/criteria/all/1/any/2/within',
        reason: 'invalid_window',
      },
    ],
    [
      'two segments with one id',
      (r: Loose) => (r.segments[1].id = 'complex-lives'),
      { rule: 'complex-lives', field: '/segments/1/id', reason: 'duplicate_id' },
    ],
    [
      'an empty range of ages',
      (r: Loose) => (r.segments[1].criteria.all[0].age = { atLeast: 70, below: 60 }),
      {
        rule: 'frailty-and-dementia',
        field: '/segments/1/criteria/all/0/age',
        reason: 'empty_range',
      },
    ],
    [
      'a version that is not semantic',
      (r: Loose) => (r.version = 'latest'),
      { rule: '(ruleset)', field: '/version', reason: 'invalid_version' },
    ],
    [
      'a missing criteria',
      (r: Loose) => delete r.segments[0].criteria,
      { rule: 'complex-lives', field: '/segments/0/criteria', reason: 'required' },
    ],
  ])('refuses %s, naming the rule and the fault', (_name, mutate, fault) => {
    const r = valid();
    mutate(r);
    const result = validateRuleset(r, vocabulary);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.faults).toContainEqual(fault);
  });

  it('refuses a hierarchy whose catch-all segment is not last', () => {
    const r = JSON.parse(JSON.stringify(b2h));
    r.segments.unshift({ id: 'everyone', name: 'Everyone', criteria: { always: true } });
    const result = validateRuleset(r, vocabulary);
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.faults).toEqual([
        { rule: 'everyone', field: '/segments/0/criteria', reason: 'unreachable_segments_below' },
      ]);
  });

  it('refuses something that is not a ruleset at all', () => {
    expect(validateRuleset([], vocabulary)).toEqual({
      ok: false,
      faults: [{ rule: '(ruleset)', field: '', reason: 'not_an_object' }],
    });
  });
});

describe('segment membership (event-sourced)', () => {
  const context = (runId: string) => ({
    runId,
    rulesetId: 'bridges-to-health',
    rulesetVersion: '1.0.0',
    asOf: AS_OF,
  });
  const replay = (events: ReturnType<typeof decideSegmentRun>, state = initialMembershipState()) =>
    events.reduce<MembershipState>(evolveMembership, state);
  const people = [
    person({ personId: 'a', conditions: [on('dementia')] }),
    person({ personId: 'b' }),
  ];
  const evaluate = (ps: PersonFacts[]) => ps.map((p) => evaluatePerson(b2h, p, AS_OF));

  describe('given no recorded runs', () => {
    it('assigns every placement, with run id, version and criteria', () => {
      const events = decideSegmentRun(
        { context: context('r1'), evaluations: evaluate(people) },
        initialMembershipState(),
      );
      expect(events).toEqual([
        {
          type: 'SegmentMemberAssigned',
          data: {
            ...context('r1'),
            segment: 'bridges-to-health.frailty-and-dementia',
            personId: 'a',
            criteria: ['condition:dementia'],
          },
        },
        {
          type: 'SegmentMemberAssigned',
          data: {
            ...context('r1'),
            segment: 'bridges-to-health.frailty-and-dementia.dementia',
            personId: 'a',
            criteria: ['condition:dementia'],
          },
        },
        {
          type: 'SegmentMemberAssigned',
          data: {
            ...context('r1'),
            segment: 'bridges-to-health.generally-well',
            personId: 'b',
            criteria: ['always'],
          },
        },
      ]);
    });
  });

  describe('given a recorded run', () => {
    const first = decideSegmentRun(
      { context: context('r1'), evaluations: evaluate(people) },
      initialMembershipState(),
    );

    it('emits nothing for a second run over the same data', () => {
      expect(
        decideSegmentRun({ context: context('r2'), evaluations: evaluate(people) }, replay(first)),
      ).toEqual([]);
    });

    it('moves someone whose placement changed: one removal, one assignment', () => {
      const later = [people[0], person({ personId: 'b', conditions: [on('asthma')] })];
      const events = decideSegmentRun(
        { context: context('r2'), evaluations: evaluate(later) },
        replay(first),
      );
      expect(events.map((e) => [e.type, e.data.segment, e.data.personId])).toEqual([
        ['SegmentMemberAssigned', 'bridges-to-health.long-term-conditions', 'b'],
        ['SegmentMemberAssigned', 'bridges-to-health.long-term-conditions.asthma', 'b'],
        ['SegmentMemberRemoved', 'bridges-to-health.generally-well', 'b'],
      ]);
    });

    it('removes someone who opted out from every segment, saying so', () => {
      const later = [{ ...people[0], optedOut: true }, people[1]];
      const events = decideSegmentRun(
        { context: context('r2'), evaluations: evaluate(later) },
        replay(first),
      );
      expect(
        events.map((e) => [e.type, e.data.segment, (e.data as { reason?: string }).reason]),
      ).toEqual([
        ['SegmentMemberRemoved', 'bridges-to-health.frailty-and-dementia', 'opted_out'],
        ['SegmentMemberRemoved', 'bridges-to-health.frailty-and-dementia.dementia', 'opted_out'],
      ]);
      expect(segmentSizes(replay(events, replay(first)))).toEqual({
        'bridges-to-health.generally-well': 1,
      });
    });
  });
});
