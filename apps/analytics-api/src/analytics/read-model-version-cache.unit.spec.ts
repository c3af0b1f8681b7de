import { ReadModelVersionCache } from './read-model-version-cache';

describe('ReadModelVersionCache', () => {
  it('computes a key once per version and shares it with concurrent askers', async () => {
    const cache = new ReadModelVersionCache();
    let computed = 0;
    const compute = async () => ++computed;
    const answers = await Promise.all([
      cache.get('v1', 'k', compute),
      cache.get('v1', 'k', compute),
      cache.get('v1', 'k', compute),
    ]);
    expect(answers).toEqual([1, 1, 1]);
    expect(await cache.get('v1', 'k', compute)).toBe(1);
    expect(computed).toBe(1);
  });

  it('drops every entry when the version changes', async () => {
    const cache = new ReadModelVersionCache();
    await cache.get('v1', 'a', async () => 'a1');
    await cache.get('v1', 'b', async () => 'b1');
    expect(await cache.get('v2', 'a', async () => 'a2')).toBe('a2');
    expect(cache.size).toBe(1);
    expect(await cache.get('v2', 'b', async () => 'b2')).toBe('b2');
  });

  it('does not keep a failed computation: the next asker computes again', async () => {
    const cache = new ReadModelVersionCache();
    await expect(
      cache.get('v1', 'k', async () => {
        throw new Error('database gone');
      }),
    ).rejects.toThrow('database gone');
    expect(cache.size).toBe(0);
    expect(await cache.get('v1', 'k', async () => 'ok')).toBe('ok');
  });

  it('keeps at most maxEntries, dropping the least recently used', async () => {
    const cache = new ReadModelVersionCache(2);
    await cache.get('v1', 'a', async () => 'a');
    await cache.get('v1', 'b', async () => 'b');
    await cache.get('v1', 'a', async () => 'a again'); // a is now the most recent
    await cache.get('v1', 'c', async () => 'c'); // drops b
    expect(cache.size).toBe(2);
    expect(await cache.get('v1', 'a', async () => 'a recomputed')).toBe('a');
    expect(await cache.get('v1', 'b', async () => 'b recomputed')).toBe('b recomputed');
  });
});
