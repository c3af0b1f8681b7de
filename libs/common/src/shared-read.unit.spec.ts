import { SharedRead, SharedReads } from './shared-read';

/** A read held open until the test finishes it, answering with the read's number. */
function heldReads() {
  const reads: Array<{ key: string; finish: (ok?: boolean) => void }> = [];
  const read = (key = '') =>
    new Promise<string>((resolve, reject) => {
      const n = reads.length + 1;
      reads.push({
        key,
        finish: (ok = true) =>
          ok ? resolve(`${key}#${n}`) : reject(new Error(`read ${n} failed`)),
      });
    });
  return { reads, read };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('SharedRead', () => {
  it('answers callers arriving during a read from the next read, never from the running one', async () => {
    const { reads, read } = heldReads();
    const shared = new SharedRead(() => read());
    const first = shared.get();
    const during = [shared.get(), shared.get(), shared.get()];
    expect(reads).toHaveLength(1);
    reads[0].finish();
    await expect(first).resolves.toBe('#1');
    await settle();
    expect(reads).toHaveLength(2);
    const duringSecond = shared.get();
    reads[1].finish();
    await expect(Promise.all(during)).resolves.toEqual(['#2', '#2', '#2']);
    await settle();
    expect(reads).toHaveLength(3);
    reads[2].finish();
    await expect(duringSecond).resolves.toBe('#3');
  });

  it('reads again for a caller arriving after a read has ended', async () => {
    const { reads, read } = heldReads();
    const shared = new SharedRead(() => read());
    const first = shared.get();
    reads[0].finish();
    await first;
    const later = shared.get();
    expect(reads).toHaveLength(2);
    reads[1].finish();
    await expect(later).resolves.toBe('#2');
  });

  it('fails the callers of a failed read only; the next caller reads again', async () => {
    const { reads, read } = heldReads();
    const shared = new SharedRead(() => read());
    const first = shared.get();
    const during = shared.get();
    reads[0].finish(false);
    await expect(first).rejects.toThrow('read 1 failed');
    await settle();
    reads[1].finish();
    await expect(during).resolves.toBe('#2');
    const after = shared.get();
    reads[2].finish(false);
    await expect(after).rejects.toThrow('read 3 failed');
    const again = shared.get();
    reads[3].finish();
    await expect(again).resolves.toBe('#4');
  });
});

describe('SharedReads', () => {
  it('shares reads per key only, and keeps no entry once nobody waits', async () => {
    const { reads, read } = heldReads();
    const shared = new SharedReads((key) => read(key));
    const a = [shared.get('a'), shared.get('a')];
    const b = shared.get('b');
    expect(reads.map((r) => r.key)).toEqual(['a', 'b']);
    reads[0].finish();
    reads[1].finish();
    await settle();
    expect(reads.map((r) => r.key)).toEqual(['a', 'b', 'a']);
    reads[2].finish();
    await expect(Promise.all(a)).resolves.toEqual(['a#1', 'a#3']);
    await expect(b).resolves.toBe('b#2');
    expect((shared as unknown as { reads: Map<string, unknown> }).reads.size).toBe(0);
  });
});
