import { GroupCommit } from './group-commit';

/** A write held open until the test lets it finish, so what arrives meanwhile is known. */
function heldWrites() {
  const calls: Array<{ items: string[]; finish: (ok: boolean) => void }> = [];
  const write = (items: string[]) =>
    new Promise<string[]>((resolve, reject) => {
      calls.push({
        items,
        finish: (ok) => (ok ? resolve(items.map((i) => `wrote ${i}`)) : reject(new Error('down'))),
      });
    });
  return { calls, write };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('GroupCommit', () => {
  it('writes what arrives during a write together in the next one, answering each its own', async () => {
    const { calls, write } = heldWrites();
    const commit = new GroupCommit(write);
    const first = commit.submit('a');
    const later = ['b', 'c', 'd'].map((item) => commit.submit(item));
    expect(calls.map((c) => c.items)).toEqual([['a']]);
    calls[0].finish(true);
    await expect(first).resolves.toBe('wrote a');
    await settle();
    expect(calls.map((c) => c.items)).toEqual([['a'], ['b', 'c', 'd']]);
    calls[1].finish(true);
    await expect(Promise.all(later)).resolves.toEqual(['wrote b', 'wrote c', 'wrote d']);
  });

  it('fails every item of a failed group and none of the next', async () => {
    const { calls, write } = heldWrites();
    const commit = new GroupCommit(write);
    const first = commit.submit('a');
    const grouped = [commit.submit('b'), commit.submit('c')];
    calls[0].finish(true);
    await first;
    await settle();
    calls[1].finish(false);
    const results = await Promise.allSettled(grouped);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    const after = commit.submit('e');
    await settle();
    expect(calls.map((c) => c.items)).toEqual([['a'], ['b', 'c'], ['e']]);
    calls[2].finish(true);
    await expect(after).resolves.toBe('wrote e');
  });

  it('writes at most maxGroup items at once', async () => {
    const { calls, write } = heldWrites();
    const commit = new GroupCommit(write, 2);
    const all = ['a', 'b', 'c', 'd', 'e'].map((item) => commit.submit(item));
    for (let i = 0; i < 3; i++) {
      await settle();
      calls[i].finish(true);
    }
    await Promise.all(all);
    expect(calls.map((c) => c.items)).toEqual([['a'], ['b', 'c'], ['d', 'e']]);
  });
});
