import * as net from 'node:net';

/** The preferred port when it is free, else any free port (0); port 0 asks for any. */
export async function freePort(preferred: number): Promise<number> {
  if (preferred === 0) return 0;
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(0));
    server.listen(preferred, '127.0.0.1', () => server.close(() => resolve(preferred)));
  });
}
