import * as fs from 'node:fs';
import * as path from 'node:path';
import { ValidationError, projectRoot } from '@linkage/common';
import { CONDITION_CLUSTERS, NEEDS, PRESCRIPTION_OUTCOMES, SEXES } from '@linkage/contracts';
import {
  ACTIVITY_TYPES,
  describeRulesetFaults,
  validateRuleset,
  type Ruleset,
  type RulesetVocabulary,
} from '@linkage/domain';

/** What criteria may name: the contracts' clusters, needs and outcomes, the projector's activity types. */
export const RULESET_VOCABULARY: RulesetVocabulary = {
  clusters: CONDITION_CLUSTERS,
  activities: ACTIVITY_TYPES,
  needs: NEEDS,
  prescriptionOutcomes: PRESCRIPTION_OUTCOMES,
  sexes: SEXES,
};

/** The shipped rulesets: `<project>/libs/segmentation/rulesets/<id>.json`. */
export function rulesetsDir(): string {
  return path.join(projectRoot(), 'libs', 'segmentation', 'rulesets');
}

export const SHIPPED_RULESETS = ['bridges-to-health', 'system-p', 'operational'] as const;

/**
 * Loads a ruleset by shipped name (`system-p`) or from a file (`./my-rules.json`), and validates
 * it: a malformed one throws ValidationError naming the ruleset, the rule, the field and the fault.
 */
export function loadRuleset(nameOrFile: string): Ruleset {
  const isName = /^[a-z0-9][a-z0-9-]*$/.test(nameOrFile);
  const file = isName ? path.join(rulesetsDir(), `${nameOrFile}.json`) : path.resolve(nameOrFile);
  const label = isName ? nameOrFile : path.basename(file);
  if (!fs.existsSync(file)) {
    throw new ValidationError({
      record: { source: 'ruleset', recordId: label },
      field: '',
      reason: 'ruleset_not_found',
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    throw new ValidationError({
      record: { source: 'ruleset', recordId: label },
      field: '',
      reason: 'not_json',
    });
  }
  return parseRuleset(parsed, label);
}

/** Validates a parsed ruleset (from a file or a request); throws ValidationError naming every fault. */
export function parseRuleset(parsed: unknown, label: string): Ruleset {
  const result = validateRuleset(parsed, RULESET_VOCABULARY);
  if (result.ok) return result.ruleset;
  const problems = result.faults.map((f) => ({
    record: { source: 'ruleset', recordId: `${label}#${f.rule}` },
    field: f.field,
    reason: f.reason,
  }));
  const error = new ValidationError(problems[0], problems);
  error.message = describeRulesetFaults(label, result.faults);
  throw error;
}
