import * as fs from 'node:fs';
import * as path from 'node:path';

/** Records, for the jest reporter, whether a backend's suite ran and against what. */
export function recordBackend(backend: string, ran: boolean, detail: string): void {
  const dir = process.env.LINKAGE_BACKEND_REPORT_DIR;
  if (!dir) return;
  fs.writeFileSync(
    path.join(dir, `${backend.replace(/[^a-z0-9-]/gi, '_')}.json`),
    JSON.stringify({ backend, ran, detail }),
  );
}
