import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectRoot } from '@linkage/common';
import { CIPHA_SCHEMAS } from './source/cipha';
import { LIFEROOMS_SCHEMAS } from './source/liferooms';
import { EVENT_SCHEMAS } from './events/canonical-event';

const kebab = (s: string) =>
  s
    .replace(/_/g, '-')
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase();

/**
 * The v1 JSON Schemas generated from the TypeBox contracts, by file name
 * (`source-<source>-<record-type>.schema.json`, `event-<event-type>.schema.json`).
 */
export function jsonSchemas(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const sources = { liferooms: LIFEROOMS_SCHEMAS, cipha: CIPHA_SCHEMAS };
  for (const [source, schemas] of Object.entries(sources)) {
    for (const [recordType, schema] of Object.entries(schemas)) {
      out[`source-${source}-${kebab(recordType)}.schema.json`] = toJson(schema);
    }
  }
  for (const [type, schema] of Object.entries(EVENT_SCHEMAS)) {
    out[`event-${kebab(type)}.schema.json`] = toJson(schema);
  }
  return out;
}

// JSON round trip drops TypeBox's symbol keys (Kind, Optional).
function toJson(schema: unknown): unknown {
  return JSON.parse(JSON.stringify(schema));
}

/** The committed schema folder: `<project>/contracts/schemas/v1` (from src/ and dist/ alike). */
export function schemasDir(): string {
  return path.join(projectRoot(), 'contracts', 'schemas', 'v1');
}

/** Writes every schema as pretty JSON into `dir` (default `contracts/schemas/v1`); returns the file names. */
export function writeSchemas(dir: string = schemasDir()): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const schemas = jsonSchemas();
  for (const [name, schema] of Object.entries(schemas)) {
    fs.writeFileSync(path.join(dir, name), JSON.stringify(schema, null, 2) + '\n');
  }
  return Object.keys(schemas);
}
