import { useSimulationThread } from './simulation-threads';

describe('useSimulationThread', () => {
  it('keeps people on the calling thread by default and with LINKAGE_GENERATE_THREADS=0', () => {
    expect(useSimulationThread({})).toBe(false);
    expect(useSimulationThread({ LINKAGE_GENERATE_THREADS: '' })).toBe(false);
    expect(useSimulationThread({ LINKAGE_GENERATE_THREADS: '0' })).toBe(false);
  });

  it('draws them on a thread of their own with LINKAGE_GENERATE_THREADS=1', () => {
    expect(useSimulationThread({ LINKAGE_GENERATE_THREADS: '1' })).toBe(true);
  });

  it('refuses any other value, naming the variable', () => {
    for (const value of ['2', 'yes', '-1', ' 1'])
      expect(() => useSimulationThread({ LINKAGE_GENERATE_THREADS: value })).toThrow(
        /LINKAGE_GENERATE_THREADS must be 0 or 1/,
      );
  });
});
