import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ValidationError } from '@linkage/common';
import { loadRuleset, SHIPPED_RULESETS } from './ruleset-files';

describe('loadRuleset', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-rulesets-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };

  it.each([...SHIPPED_RULESETS])('loads the shipped ruleset %s by name', (name) => {
    const ruleset = loadRuleset(name);
    expect(ruleset.id).toBe(name);
    expect(ruleset.version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('loads a user ruleset from a file', () => {
    const file = write(
      'mine.json',
      JSON.stringify({
        id: 'mine',
        version: '0.1.0',
        name: 'Mine',
        mode: 'independent',
        segments: [{ id: 'copd', name: 'COPD', criteria: { condition: ['copd'] } }],
      }),
    );
    expect(loadRuleset(file).segments[0].id).toBe('copd');
  });

  it('refuses a malformed ruleset, naming the ruleset, the rule, the field and the fault', () => {
    const broken = JSON.parse(
      fs.readFileSync(path.join(__dirname, '..', 'rulesets', 'system-p.json'), 'utf8'),
    );
    broken.segments[0].criteria.all[0].condition = ['gout'];
    broken.segments[1].criteria.all[1].any[2].within = { weeks: 3 };
    const file = write('broken.json', JSON.stringify(broken));
    let error: unknown;
    try {
      loadRuleset(file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const v = error as ValidationError;
    expect(v.message).toBe(
      'ruleset broken.json refused: rule complex-lives: /segments/0/criteria/all/0/condition/0 unknown_cluster; ' +
        'rule frailty-and-dementia: /segments/1/criteria/all/1/any/2/within invalid_window',
    );
    expect(v.problems).toEqual([
      {
        record: { source: 'ruleset', recordId: 'broken.json#complex-lives' },
        field: '/segments/0/criteria/all/0/condition/0',
        reason: 'unknown_cluster',
      },
      {
        record: { source: 'ruleset', recordId: 'broken.json#frailty-and-dementia' },
        field: '/segments/1/criteria/all/1/any/2/within',
        reason: 'invalid_window',
      },
    ]);
  });

  it('refuses a file that is not JSON, and a ruleset that does not exist', () => {
    expect(() => loadRuleset(write('bad.json', '{ "id": '))).toThrow(
      expect.objectContaining({ detail: expect.objectContaining({ reason: 'not_json' }) }),
    );
    expect(() => loadRuleset('no-such-ruleset')).toThrow(
      expect.objectContaining({ detail: expect.objectContaining({ reason: 'ruleset_not_found' }) }),
    );
  });
});
