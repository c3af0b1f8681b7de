import * as fs from 'node:fs';
import { dataDir } from '@linkage/common';

/** The data directory (`LINKAGE_DATA_DIR` or `./.data`), made when missing. */
export function prepareDataDir(): string {
  const dir = dataDir();
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
