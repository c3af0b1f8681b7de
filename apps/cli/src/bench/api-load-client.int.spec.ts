import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { runLoadClient } from './api-load';

// The load client runs in a process of its own; what it reports must be what the server saw.
describe('the API load client', () => {
  let server: http.Server;
  let url: string;
  let served = 0;
  const authorisations = new Set<string>();

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      served += 1;
      authorisations.add(String(req.headers.authorization));
      // Every third request is refused, so failures are counted, not assumed.
      res.statusCode = served % 3 === 0 ? 503 : 200;
      res.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/cohort`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    // 'close' is emitted before libuv has released the listening handle; one turn later it has.
    await new Promise((resolve) => setImmediate(resolve));
  });

  it('makes the requests asked for, with the token, and counts the refused ones', async () => {
    served = 0;
    const result = await runLoadClient({ url, token: 't0k3n', clients: 5, requests: 60 });
    expect(served).toBe(60);
    expect(result.latencies).toHaveLength(60);
    expect(result.failures).toBe(20);
    expect([...authorisations]).toEqual(['Bearer t0k3n']);
    expect(result.p50ms).toBeLessThanOrEqual(result.p95ms);
    expect(result.p95ms).toBeLessThanOrEqual(result.p99ms);
    // Ascending, as the percentiles assume.
    expect(result.latencies).toEqual([...result.latencies].sort((a, b) => a - b));
  }, 60_000);

  it("fails with the client's reason when it cannot run", async () => {
    await expect(
      runLoadClient({ url: 'not a url', token: 't', clients: 1, requests: 1 }),
    ).rejects.toThrow(/the load client exited 1: .*Invalid URL/s);
  }, 60_000);
});
