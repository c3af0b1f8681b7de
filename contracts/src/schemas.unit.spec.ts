import * as fs from 'node:fs';
import { createContractsAjv } from './source/validate-source-record';
import { jsonSchemas, schemasDir, writeSchemas } from './schemas';

// The committed JSON Schemas are generated from TypeBox; this fails when they drift.
// Regenerate with `node contracts/scripts/write-schemas.js` (or UPDATE_SCHEMAS=1 on this test).
describe('contracts/schemas/v1', () => {
  if (process.env.UPDATE_SCHEMAS === '1') writeSchemas();
  const expected = jsonSchemas();

  it('has one file per source record type and per event type, and no other', () => {
    const files = fs.readdirSync(schemasDir()).filter((f) => f.endsWith('.schema.json'));
    expect(files.sort()).toEqual(Object.keys(expected).sort());
    expect(files).toHaveLength(20 + 22);
  });

  it.each(Object.keys(expected))('%s equals the TypeBox contract', (file) => {
    const committed = JSON.parse(fs.readFileSync(`${schemasDir()}/${file}`, 'utf8'));
    expect(committed).toEqual(expected[file]);
  });

  it('compiles every schema with Ajv in strict mode', () => {
    const ajv = createContractsAjv();
    for (const schema of Object.values(expected))
      expect(() => ajv.compile(schema as object)).not.toThrow();
  });
});
