import * as path from 'node:path';
import { ESLint } from 'eslint';

/**
 * The lint rules of eslint.config.mjs that keep the apps apart and the domain pure, tried on
 * imports as they would be written (app-boundaries.unit.spec.ts checks the graph as it is).
 */
describe('lint: apps talk through their index, the domain stays pure', () => {
  const eslint = new ESLint({ cwd: path.resolve(__dirname, '..') });
  const restrictedImports = async (file: string, code: string) => {
    const [result] = await eslint.lintText(`${code}\nexport const used = x;\n`, {
      filePath: file,
    });
    return result.messages
      .filter((m) => m.ruleId === 'no-restricted-imports')
      .map((m) => m.message);
  };

  it.each([
    [
      'apps/cli/src/commands/some.command.ts',
      "import { x } from '../../../ingest/src/pipeline/run-file-ingest';",
    ],
    [
      'apps/ingest/src/pipeline/some.ts',
      "import { x } from '../../../event-writer/src/event-writer';",
    ],
    [
      'apps/projector/src/some.ts',
      "import { x } from '../../../libs/event-store/src/postgresql/x';",
    ],
    [
      'test/e2e/some.e2e.spec.ts',
      "import { x } from '../../apps/analytics-api/src/analytics/analytics.queries';",
    ],
  ])('forbids in %s: %s (another app or lib by its internals)', async (file, code) => {
    expect(await restrictedImports(file, code)).toEqual([
      expect.stringContaining('through its index'),
    ]);
  });

  it.each([
    ['apps/cli/src/commands/some.command.ts', "import { x } from '../../../ingest/src';"],
    ['apps/cli/src/commands/some.command.ts', "import { x } from './cli-context';"],
    ['apps/cli/src/demo/some.ts', "import { x } from '../commands/cli-context';"],
    ['test/e2e/some.e2e.spec.ts', "import { x } from '../../apps/event-writer/src/testing/x';"],
    ['apps/cli/src/commands/some.command.ts', "import { x } from '@linkage/event-store';"],
  ])(
    'allows %s importing through an index, its own app or a testing folder',
    async (file, code) => {
      expect(await restrictedImports(file, code)).toEqual([]);
    },
  );

  it.each([
    ["import { x } from '@nestjs/common';"],
    ["import { x } from 'postgres';"],
    ["import * as x from 'node:fs';"],
  ])('forbids the domain a framework, driver or I/O import: %s', async (code) => {
    expect(await restrictedImports('libs/domain/src/matching/some.ts', code)).not.toEqual([]);
  });

  it("forbids the domain another lib's internals too", async () => {
    const code = "import { x } from '../../../event-store/src/event-store.port';";
    expect(await restrictedImports('libs/domain/src/matching/some.ts', code)).not.toEqual([]);
  });
});
