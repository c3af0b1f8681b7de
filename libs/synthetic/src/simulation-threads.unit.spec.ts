import { THREAD_FROM_PERSONS, useSimulationThread } from './simulation-threads';

describe('useSimulationThread', () => {
  it('by default draws people on a thread from THREAD_FROM_PERSONS persons on', () => {
    expect(useSimulationThread(THREAD_FROM_PERSONS - 1, {})).toBe(false);
    expect(useSimulationThread(THREAD_FROM_PERSONS, {})).toBe(true);
    expect(useSimulationThread(36_000, { LINKAGE_GENERATE_THREADS: '' })).toBe(true);
  });

  it('LINKAGE_GENERATE_THREADS=1 always uses the thread, 0 never', () => {
    expect(useSimulationThread(10, { LINKAGE_GENERATE_THREADS: '1' })).toBe(true);
    expect(useSimulationThread(36_000, { LINKAGE_GENERATE_THREADS: '0' })).toBe(false);
  });

  it('refuses any other value, naming the variable', () => {
    for (const value of ['2', 'yes', '-1', ' 1'])
      expect(() => useSimulationThread(10, { LINKAGE_GENERATE_THREADS: value })).toThrow(
        /LINKAGE_GENERATE_THREADS must be 0 or 1/,
      );
  });
});
