import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectRoot } from '@linkage/common';

/** Where `npm run build` (infra/build.js) puts the page: sources, ECharts and the LSOA map. */
export function defaultWebAssetsDir(): string {
  return path.join(projectRoot(), 'dist', 'apps', 'web', 'public');
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.geojson': 'application/geo+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export interface WebAsset {
  file: string;
  contentType: string;
}

/**
 * The built page's files by name, read once: only names found in the built folder are ever
 * served, so no request path reaches the file system. Empty when the page was not built.
 */
export function listWebAssets(dir: string): Map<string, WebAsset> {
  const assets = new Map<string, WebAsset>();
  if (!fs.existsSync(dir)) return assets;
  for (const name of fs.readdirSync(dir)) {
    const contentType = CONTENT_TYPES[path.extname(name)];
    const file = path.join(dir, name);
    if (contentType && fs.statSync(file).isFile()) assets.set(name, { file, contentType });
  }
  return assets;
}

/**
 * Only this origin's scripts, styles and data: the page loads nothing from elsewhere (no CDN).
 * ECharts sets inline styles on its tooltips, hence `style-src 'unsafe-inline'`.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');
