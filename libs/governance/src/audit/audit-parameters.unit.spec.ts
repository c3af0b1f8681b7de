import { declaredAuditParameters } from './audit-parameters';
import { RefusalLimiter } from './refusal-limiter';

describe('declaredAuditParameters', () => {
  it('keeps declared parameters whose values have their shape', () => {
    expect(
      declaredAuditParameters({ measure: 'ae_attendances', pageSize: '50', from: '2024-01-01' }),
    ).toEqual({ measure: 'ae_attendances', pageSize: '50', from: '2024-01-01' });
  });

  it('drops undeclared parameters without naming them, whatever they hold', () => {
    const out = declaredAuditParameters({
      note: 'Aurelia Quennell',
      born: '1950-01-01',
      'Aurelia Quennell': '1',
      measure: 'ae_attendances',
    });
    expect(out).toEqual({ measure: 'ae_attendances', $undeclared: 3 });
    expect(JSON.stringify(out)).not.toMatch(/Quennell|Aurelia|1950/);
  });

  it.each([
    ['an NHS number in a label', { actor: '999 000 1234' }],
    ['free text in a code', { measure: 'Aurelia Quennell' }],
    ['a postcode in a label', { actor: 'L9 2AF' }],
    ['a name where a date goes', { from: 'Quennell' }],
    ['an object', { source: { nested: 'x' } }],
  ])('redacts a declared parameter with a value of the wrong shape: %s', (_, raw) => {
    const [name] = Object.keys(raw);
    expect(declaredAuditParameters(raw as Record<string, unknown>)).toEqual({
      [name]: '[redacted]',
      $redacted: [`/${name}`],
    });
  });

  it('follows the route’s own declaration instead of the default vocabulary', () => {
    expect(declaredAuditParameters({ measure: 'x', cohort: 'c1' }, { cohort: 'code' })).toEqual({
      cohort: 'c1',
      $undeclared: 1,
    });
  });
});

describe('RefusalLimiter', () => {
  it('records the first refusals of a window, counts the rest, and drains them once', () => {
    const limiter = new RefusalLimiter(1000, 2);
    expect(limiter.admit('k', 0)).toEqual({ record: true });
    expect(limiter.admit('k', 10)).toEqual({ record: true });
    expect(limiter.admit('k', 20)).toEqual({ record: false, flushAt: 1000 });
    expect(limiter.admit('k', 30)).toEqual({ record: false });
    expect(limiter.admit('other', 30)).toEqual({ record: true });
    expect(limiter.drain('k')).toBe(2);
    expect(limiter.drain('k')).toBe(0);
  });

  it('opens a new window after the old one closes', () => {
    const limiter = new RefusalLimiter(1000, 1);
    expect(limiter.admit('k', 0)).toEqual({ record: true });
    expect(limiter.admit('k', 500)).toEqual({ record: false, flushAt: 1000 });
    expect(limiter.admit('k', 1000)).toEqual({ record: true });
  });
});
