import { Readable } from 'node:stream';
import { ndjsonRecords } from './record-readers';

async function linesOf(chunks: Buffer[]): Promise<{ input: unknown; line?: number }[]> {
  const out: { input: unknown; line?: number }[] = [];
  for await (const r of ndjsonRecords(Readable.from(chunks))) out.push(r);
  return out;
}

describe('ndjsonRecords', () => {
  const text = '{"a":"é"}\r\n\n  \n{"b":"名前"}\n{"c":3}';

  it('numbers lines, skips blank ones, strips CR and keeps a last line without newline', async () => {
    expect(await linesOf([Buffer.from(text)])).toEqual([
      { input: '{"a":"é"}', line: 1 },
      { input: '{"b":"名前"}', line: 4 },
      { input: '{"c":3}', line: 5 },
    ]);
  });

  it('gives the same lines however the bytes are cut, even inside a character', async () => {
    const bytes = Buffer.from(text);
    const whole = await linesOf([bytes]);
    for (let size = 1; size <= 7; size += 1) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
      expect(await linesOf(chunks)).toEqual(whole);
    }
  });

  it('reads only as far as the consumer has taken lines (backpressure)', async () => {
    let pulled = 0;
    const source = Readable.from(
      (function* () {
        for (let i = 0; i < 1000; i += 1) {
          pulled += 1;
          yield Buffer.from(`{"n":${i}}\n`);
        }
      })(),
      { highWaterMark: 1, objectMode: true },
    );
    const it = ndjsonRecords(source)[Symbol.asyncIterator]();
    for (let i = 0; i < 10; i += 1) await it.next();
    expect(pulled).toBeLessThan(50);
    await it.return?.(undefined);
  });
});
