import { dayNumber } from '../matching/calendar';
import { mulberry32 } from '../matching/seeded-random';
import { compareOutcomes, OutcomeSubject } from './difference-in-differences';
import { activityTypesOf } from './outcome-measures';

const settings = { beforeMonths: 12, afterMonths: 12, dataEnd: '2030-01-01', bootstrapReps: 1000 };

/** Poisson-ish contacts at `perYear` between two days. */
function contacts(random: () => number, from: number, to: number, perYear: number) {
  const days: Array<{ day: number; value: number }> = [];
  for (let d = from; d < to; d++) if (random() < perYear / 365.25) days.push({ day: d, value: 1 });
  return days;
}

function cohort(seed: number, effect: number): OutcomeSubject[] {
  const random = mulberry32(seed);
  const subjects: OutcomeSubject[] = [];
  const index = '2022-01-01';
  const i = dayNumber(index);
  for (let n = 0; n < 1500; n++) {
    const base = 1 + 3 * random();
    subjects.push({
      group: 'user',
      indexDate: index,
      weight: 1,
      events: [
        ...contacts(random, i - 365, i, base),
        ...contacts(random, i, i + 365, base + effect),
      ],
    });
    for (let k = 0; k < 3; k++) {
      const cbase = 1 + 3 * random();
      subjects.push({
        group: 'control',
        indexDate: index,
        weight: 1 / 3,
        events: contacts(random, i - 365, i + 365, cbase),
      });
    }
  }
  return subjects;
}

describe('compareOutcomes', () => {
  it.each([
    [1, -1],
    [2, -0.6],
    [3, 0.8],
  ])(
    'recovers a planted effect (seed %i, effect %p) and its interval covers it',
    (seed, effect) => {
      const result = compareOutcomes(cohort(seed, effect), settings, mulberry32(seed));
      expect(result.nUsers).toBe(1500);
      expect(result.nControls).toBe(4500);
      expect(Math.abs(result.did - effect)).toBeLessThan(Math.abs(effect) * 0.2);
      expect(result.ci95[0]).toBeLessThan(effect);
      expect(result.ci95[1]).toBeGreaterThan(effect);
    },
  );

  it('is deterministic for a seed', () => {
    const subjects = cohort(5, -1);
    expect(compareOutcomes(subjects, settings, mulberry32(9))).toEqual(
      compareOutcomes(subjects, settings, mulberry32(9)),
    );
  });

  it('censors the after window at death and at the data end', () => {
    const i = dayNumber('2022-01-01');
    const subjects: OutcomeSubject[] = [
      {
        group: 'user',
        indexDate: '2022-01-01',
        weight: 1,
        deathDay: i + 73,
        events: [
          { day: i - 10, value: 1 },
          { day: i + 1, value: 1 },
          { day: i + 100, value: 1 }, // after death: impossible, ignored
        ],
      },
      { group: 'control', indexDate: '2022-01-01', weight: 1, events: [{ day: i + 5, value: 1 }] },
    ];
    const r = compareOutcomes(subjects, { ...settings, dataEnd: '2022-07-02' }, mulberry32(1));
    expect(r.users.personYearsAfter).toBeCloseTo(73 / 365.25);
    expect(r.users.after).toBeCloseTo(365.25 / 73);
    expect(r.controls.personYearsAfter).toBeCloseTo(182 / 365.25);
    expect(r.users.before).toBeCloseTo(1);
  });
});

describe('activityTypesOf', () => {
  it.each([
    ['GpAppointmentAttended', {}, ['gp_appointment']],
    ['AeAttended', { departmentType: 1 }, ['ae_attendance']],
    ['InpatientAdmitted', { method: 'elective', specialty: '710' }, ['other_admission']],
    ['InpatientAdmitted', { method: 'emergency', specialty: '300' }, ['emergency_admission']],
    [
      'InpatientAdmitted',
      { method: 'emergency', specialty: '710' },
      ['emergency_admission', 'crisis_contact'],
    ],
    [
      'InpatientAdmitted',
      { method: 'emergency', specialty: 'adult_psychiatry' },
      ['emergency_admission', 'crisis_contact'],
    ],
    ['MentalHealthContactMade', { team: 'cmht' }, ['mental_health_contact']],
    ['MentalHealthContactMade', { team: 'crht' }, ['mental_health_contact', 'crisis_contact']],
    ['MentalHealthContactMade', { team: 'liaison' }, ['mental_health_contact', 'crisis_contact']],
    ['OutpatientAttended', { attended: false }, []],
    ['Nhs111Called', {}, ['nhs111_call']],
    ['AmbulanceIncidentRecorded', { outcome: 'conveyed' }, ['ambulance_incident']],
    ['VisitRecorded', { site: 'walton' }, []],
  ])('%s %j -> %j', (type, data, expected) => {
    expect(activityTypesOf(type, data)).toEqual(expected);
  });
});
