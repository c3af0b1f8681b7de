import {
  DEFAULT_MAX_WRITER_LAG,
  DEFAULT_MAX_WRITER_LAG_BYTES,
  maxWriterLagBytesFromEnv,
  maxWriterLagFromEnv,
  meanRecordBytes,
  RECORD_OVERHEAD_BYTES,
} from './writer-backpressure';

describe('writer backpressure bounds', () => {
  const saved = {
    lag: process.env.LINKAGE_WRITER_MAX_LAG,
    bytes: process.env.LINKAGE_WRITER_MAX_LAG_BYTES,
  };
  afterEach(() => {
    for (const [name, value] of [
      ['LINKAGE_WRITER_MAX_LAG', saved.lag],
      ['LINKAGE_WRITER_MAX_LAG_BYTES', saved.bytes],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it.each([
    [undefined, DEFAULT_MAX_WRITER_LAG_BYTES],
    ['', DEFAULT_MAX_WRITER_LAG_BYTES],
    ['0', 0],
    ['1048576', 1048576],
    ['1500.7', 1500],
    ['-1', DEFAULT_MAX_WRITER_LAG_BYTES],
    ['two MiB', DEFAULT_MAX_WRITER_LAG_BYTES],
  ])('LINKAGE_WRITER_MAX_LAG_BYTES=%p gives %p', (raw, expected) => {
    if (raw === undefined) delete process.env.LINKAGE_WRITER_MAX_LAG_BYTES;
    else process.env.LINKAGE_WRITER_MAX_LAG_BYTES = raw;
    expect(maxWriterLagBytesFromEnv()).toBe(expected);
  });

  it('reads the message bound on its own', () => {
    process.env.LINKAGE_WRITER_MAX_LAG = '7';
    process.env.LINKAGE_WRITER_MAX_LAG_BYTES = '9';
    expect(maxWriterLagFromEnv()).toBe(7);
    expect(maxWriterLagBytesFromEnv()).toBe(9);
    process.env.LINKAGE_WRITER_MAX_LAG = 'x';
    expect(maxWriterLagFromEnv()).toBe(DEFAULT_MAX_WRITER_LAG);
  });

  it('measures records in bytes: key, value (UTF-8) and the record overhead', () => {
    expect(meanRecordBytes([])).toBe(0);
    expect(meanRecordBytes([{ key: 'ab', value: 'cdef' }])).toBe(RECORD_OVERHEAD_BYTES + 6);
    // A two-byte character counts twice; a keyless Buffer counts its length.
    expect(
      meanRecordBytes([
        { key: null, value: Buffer.alloc(10) },
        { key: 'k', value: 'é' },
      ]),
    ).toBe(RECORD_OVERHEAD_BYTES + (10 + 3) / 2);
  });
});
