import type { Criterion, Ruleset } from './ruleset';

/** The values criteria may name: from the contracts (clusters, needs, outcomes) and the projector (activity types). */
export interface RulesetVocabulary {
  clusters: readonly string[];
  activities: readonly string[];
  needs: readonly string[];
  prescriptionOutcomes: readonly string[];
  sexes: readonly string[];
}

/** One fault in a ruleset: the rule (segment id, `<segment>.<subsegment>` or `(ruleset)`), where (JSON Pointer) and why. */
export interface RulesetFault {
  rule: string;
  field: string;
  reason: string;
}

export type RulesetValidation =
  { ok: true; ruleset: Ruleset } | { ok: false; faults: RulesetFault[] };

const ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const VERSION = /^\d+\.\d+\.\d+$/;
const MAX_DEPTH = 12;
const MAX_MONTHS = 240;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown, min: number, max: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

const CRITERION_KINDS = [
  'all',
  'any',
  'not',
  'atLeast',
  'always',
  'condition',
  'conditionCount',
  'age',
  'sex',
  'imdDecile',
  'activity',
  'rising',
  'socialPrescription',
  'prescriptionOutcome',
  'referredWithoutContact',
  'lifeRoomsUser',
] as const;

/**
 * Checks a parsed ruleset file against the ruleset format (`ruleset.ts`): shape, ids, versions,
 * every criterion and every value it names. Returns every fault found, each naming the rule.
 * A ruleset is used only when this returns ok.
 */
export function validateRuleset(input: unknown, vocabulary: RulesetVocabulary): RulesetValidation {
  const faults: RulesetFault[] = [];
  const fault = (rule: string, field: string, reason: string) =>
    faults.push({ rule, field, reason });
  const top = '(ruleset)';
  if (!isObject(input))
    return { ok: false, faults: [{ rule: top, field: '', reason: 'not_an_object' }] };
  for (const key of Object.keys(input)) {
    if (
      !['id', 'version', 'name', 'description', 'mode', 'segments', 'notes', '$schema'].includes(
        key,
      )
    )
      fault(top, `/${key}`, 'unknown_field');
  }
  if (typeof input.id !== 'string' || !ID.test(input.id)) fault(top, '/id', 'invalid_id');
  if (typeof input.version !== 'string' || !VERSION.test(input.version))
    fault(top, '/version', 'invalid_version');
  if (typeof input.name !== 'string' || input.name.length === 0) fault(top, '/name', 'required');
  if (input.mode !== 'hierarchical' && input.mode !== 'independent')
    fault(top, '/mode', 'invalid_mode');
  if (
    input.notes !== undefined &&
    !(Array.isArray(input.notes) && input.notes.every((n) => typeof n === 'string'))
  )
    fault(top, '/notes', 'invalid_type');
  if (!Array.isArray(input.segments) || input.segments.length === 0) {
    fault(top, '/segments', 'no_segments');
    return { ok: false, faults };
  }
  const seen = new Set<string>();
  input.segments.forEach((segment: unknown, i: number) => {
    const at = `/segments/${i}`;
    if (!isObject(segment)) return fault(`#${i}`, at, 'not_an_object');
    const rule = typeof segment.id === 'string' ? segment.id : `#${i}`;
    for (const key of Object.keys(segment)) {
      if (!['id', 'name', 'description', 'criteria', 'subsegments'].includes(key))
        fault(rule, `${at}/${key}`, 'unknown_field');
    }
    if (typeof segment.id !== 'string' || !ID.test(segment.id))
      fault(rule, `${at}/id`, 'invalid_id');
    else if (seen.has(segment.id)) fault(rule, `${at}/id`, 'duplicate_id');
    else seen.add(segment.id);
    if (typeof segment.name !== 'string' || segment.name.length === 0)
      fault(rule, `${at}/name`, 'required');
    checkCriterion(segment.criteria, `${at}/criteria`, rule, vocabulary, fault, 0);
    if (segment.subsegments !== undefined) {
      if (!Array.isArray(segment.subsegments))
        return fault(rule, `${at}/subsegments`, 'invalid_type');
      const subIds = new Set<string>();
      segment.subsegments.forEach((sub: unknown, j: number) => {
        const subAt = `${at}/subsegments/${j}`;
        if (!isObject(sub)) return fault(rule, subAt, 'not_an_object');
        const subRule = `${rule}.${typeof sub.id === 'string' ? sub.id : `#${j}`}`;
        for (const key of Object.keys(sub)) {
          if (!['id', 'name', 'criteria'].includes(key))
            fault(subRule, `${subAt}/${key}`, 'unknown_field');
        }
        if (typeof sub.id !== 'string' || !ID.test(sub.id))
          fault(subRule, `${subAt}/id`, 'invalid_id');
        else if (subIds.has(sub.id)) fault(subRule, `${subAt}/id`, 'duplicate_id');
        else subIds.add(sub.id);
        if (typeof sub.name !== 'string' || sub.name.length === 0)
          fault(subRule, `${subAt}/name`, 'required');
        checkCriterion(sub.criteria, `${subAt}/criteria`, subRule, vocabulary, fault, 0);
      });
    }
  });
  // In a hierarchy only the last segment may always apply, or the ones below it could never be reached.
  if (input.mode === 'hierarchical') {
    input.segments.forEach((segment: unknown, i: number) => {
      if (
        i < (input.segments as unknown[]).length - 1 &&
        isObject(segment) &&
        isObject(segment.criteria) &&
        segment.criteria.always === true
      )
        fault(String(segment.id), `/segments/${i}/criteria`, 'unreachable_segments_below');
    });
  }
  return faults.length === 0
    ? { ok: true, ruleset: input as unknown as Ruleset }
    : { ok: false, faults };
}

function checkCriterion(
  c: unknown,
  at: string,
  rule: string,
  v: RulesetVocabulary,
  fault: (rule: string, field: string, reason: string) => void,
  depth: number,
): void {
  if (depth > MAX_DEPTH) return fault(rule, at, 'nested_too_deep');
  if (!isObject(c)) return fault(rule, at, c === undefined ? 'required' : 'not_an_object');
  const kinds = Object.keys(c).filter(
    (k) => k !== 'label' && k !== 'of' && k !== 'atLeast' && k !== 'within',
  );
  let kind = kinds.find((k) => (CRITERION_KINDS as readonly string[]).includes(k));
  // `atLeast` is its own kind with `of`, and a count bound of `activity`.
  if (kind === undefined && 'of' in c) kind = 'atLeast';
  if (kind === undefined) {
    const unknown = kinds[0];
    return fault(
      rule,
      unknown ? `${at}/${unknown}` : at,
      unknown ? 'unknown_criterion' : 'empty_criterion',
    );
  }
  const allowed: Record<string, string[]> = {
    atLeast: ['atLeast', 'of'],
    activity: ['activity', 'atLeast', 'within'],
    condition: ['condition', 'within'],
  };
  for (const key of Object.keys(c)) {
    if (key === 'label') continue;
    if (!(allowed[kind] ?? [kind]).includes(key)) fault(rule, `${at}/${key}`, 'unexpected_field');
  }
  if (
    c.label !== undefined &&
    (typeof c.label !== 'string' || c.label.length === 0 || c.label.length > 80)
  )
    fault(rule, `${at}/label`, 'invalid_label');
  const list = (value: unknown, field: string, known: readonly string[], reason: string) => {
    if (!Array.isArray(value) || value.length === 0) return fault(rule, field, 'empty_list');
    value.forEach((x, i) => {
      if (typeof x !== 'string' || !known.includes(x)) fault(rule, `${field}/${i}`, reason);
    });
  };
  const window = (value: unknown, field: string) => {
    if (!isObject(value) || !isInt(value.months, 1, MAX_MONTHS) || Object.keys(value).length !== 1)
      fault(rule, field, 'invalid_window');
  };
  switch (kind) {
    case 'all':
    case 'any': {
      const items = c[kind];
      if (!Array.isArray(items) || items.length === 0)
        return fault(rule, `${at}/${kind}`, 'empty_list');
      items.forEach((item, i) =>
        checkCriterion(item, `${at}/${kind}/${i}`, rule, v, fault, depth + 1),
      );
      return;
    }
    case 'not':
      return checkCriterion(c.not, `${at}/not`, rule, v, fault, depth + 1);
    case 'atLeast': {
      if (!Array.isArray(c.of) || c.of.length === 0) return fault(rule, `${at}/of`, 'empty_list');
      if (!isInt(c.atLeast, 1, c.of.length)) fault(rule, `${at}/atLeast`, 'out_of_range');
      c.of.forEach((item, i) => checkCriterion(item, `${at}/of/${i}`, rule, v, fault, depth + 1));
      return;
    }
    case 'always':
    case 'lifeRoomsUser':
      if (c[kind] !== true) fault(rule, `${at}/${kind}`, 'must_be_true');
      return;
    case 'condition':
      list(c.condition, `${at}/condition`, v.clusters, 'unknown_cluster');
      if (c.within !== undefined) window(c.within, `${at}/within`);
      return;
    case 'conditionCount': {
      const cc = c.conditionCount;
      if (!isObject(cc)) return fault(rule, `${at}/conditionCount`, 'not_an_object');
      list(cc.clusters, `${at}/conditionCount/clusters`, v.clusters, 'unknown_cluster');
      const n = Array.isArray(cc.clusters) ? cc.clusters.length : 0;
      if (!isInt(cc.atLeast, 1, Math.max(1, n)))
        fault(rule, `${at}/conditionCount/atLeast`, 'out_of_range');
      return;
    }
    case 'age':
    case 'imdDecile': {
      const b = c[kind];
      const [lowKey, highKey, max] =
        kind === 'age' ? ['atLeast', 'below', 130] : ['atLeast', 'atMost', 10];
      if (!isObject(b)) return fault(rule, `${at}/${kind}`, 'not_an_object');
      if (b[lowKey] === undefined && b[highKey] === undefined)
        fault(rule, `${at}/${kind}`, 'no_bound');
      for (const key of Object.keys(b)) {
        if (key !== lowKey && key !== highKey)
          fault(rule, `${at}/${kind}/${key}`, 'unexpected_field');
        else if (!isInt(b[key], kind === 'age' ? 0 : 1, max))
          fault(rule, `${at}/${kind}/${key}`, 'out_of_range');
      }
      if (
        typeof b[lowKey] === 'number' &&
        typeof b[highKey] === 'number' &&
        (b[lowKey] as number) > (b[highKey] as number)
      )
        fault(rule, `${at}/${kind}`, 'empty_range');
      return;
    }
    case 'sex':
      return list(c.sex, `${at}/sex`, v.sexes, 'unknown_sex');
    case 'activity':
      list(c.activity, `${at}/activity`, v.activities, 'unknown_activity');
      if (!isInt(c.atLeast, 1, 10_000)) fault(rule, `${at}/atLeast`, 'out_of_range');
      return window(c.within, `${at}/within`);
    case 'rising': {
      const r = c.rising;
      if (!isObject(r)) return fault(rule, `${at}/rising`, 'not_an_object');
      list(r.activity, `${at}/rising/activity`, v.activities, 'unknown_activity');
      if (!isInt(r.quarters, 2, 12)) fault(rule, `${at}/rising/quarters`, 'out_of_range');
      if (!isInt(r.latestAtLeast, 1, 10_000))
        fault(rule, `${at}/rising/latestAtLeast`, 'out_of_range');
      return;
    }
    case 'socialPrescription': {
      const s = c.socialPrescription;
      if (!isObject(s)) return fault(rule, `${at}/socialPrescription`, 'not_an_object');
      list(s.needs, `${at}/socialPrescription/needs`, v.needs, 'unknown_need');
      return window(s.within, `${at}/socialPrescription/within`);
    }
    case 'prescriptionOutcome': {
      const s = c.prescriptionOutcome;
      if (!isObject(s)) return fault(rule, `${at}/prescriptionOutcome`, 'not_an_object');
      list(
        s.outcomes,
        `${at}/prescriptionOutcome/outcomes`,
        v.prescriptionOutcomes,
        'unknown_outcome',
      );
      return window(s.within, `${at}/prescriptionOutcome/within`);
    }
    case 'referredWithoutContact': {
      const s = c.referredWithoutContact;
      if (!isObject(s)) return fault(rule, `${at}/referredWithoutContact`, 'not_an_object');
      window(s.within, `${at}/referredWithoutContact/within`);
      if (!isInt(s.afterDays, 0, 3650))
        fault(rule, `${at}/referredWithoutContact/afterDays`, 'out_of_range');
      return;
    }
  }
}

/** A one-line description of the faults: `rule complex-lives: /segments/0/criteria/activity/0 unknown_activity; ...`. */
export function describeRulesetFaults(
  rulesetName: string,
  faults: readonly RulesetFault[],
): string {
  const shown = faults.slice(0, 5).map((f) => `rule ${f.rule}: ${f.field || '/'} ${f.reason}`);
  const more = faults.length > 5 ? `; and ${faults.length - 5} more` : '';
  return `ruleset ${rulesetName} refused: ${shown.join('; ')}${more}`;
}

/** Typed view for callers that need the criterion union after validation. */
export type { Criterion };
