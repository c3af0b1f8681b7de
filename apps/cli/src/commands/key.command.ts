import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Command, Option } from 'commander';
import { ConfigurationError, dataDir } from '@linkage/common';
import {
  demoKeyPath,
  deriveKeyId,
  loadPseudonymisationKey,
  parseKeyMaterial,
  type PseudonymisationKey,
} from '@linkage/pseudonymisation';
import {
  openIngestRuntime,
  openKeyRotationCommandBus,
  registeredKeys,
  RotateKeyCommand,
  type KeyRotationSummary,
} from '../../../ingest/src';
import { auditCliRead, authorizeCli, openCliGovernance, resolveCliActor } from './cli-context';
import { PURPOSE_OPTION_HELP, TOKEN_OPTION_HELP } from './actor-options';

/** Where the demo keeps its retired key after a rotation (never read by the service). */
export function previousDemoKeyPath(dir: string): string {
  return path.join(dir, 'keys', 'pseudonymisation.previous.key');
}

interface RotateOptions {
  newKeyFile?: string;
  newKeyId?: string;
  format?: 'ndjson' | 'csv';
  json?: boolean;
  token?: string;
  purpose?: string;
}

/**
 * `linkage key show|rotate`: the pseudonymisation key's lifecycle (docs/OPERATIONS.md). `show`
 * lists the registered keys (ids, fingerprints, status: never a key); `rotate` moves to a new
 * key, linking every old pseudonym found in the given source extracts to its new one.
 */
export function registerKeyCommand(program: Command): void {
  const key = program.command('key').description('the pseudonymisation key: show, rotate');

  key
    .command('show')
    .description('list the registered pseudonymisation keys: id, fingerprint, status (never a key)')
    .option('--json', 'one JSON object per key')
    .action(async (opts: { json?: boolean }) => {
      const actor = await resolveCliActor();
      const g = await openCliGovernance();
      try {
        await authorizeCli(actor, 'admin:operations', 'key.show', {}, g);
        const keys = await registeredKeys(g.db.sql);
        await auditCliRead(actor, 'key.show', {}, keys.length, { governance: g });
        for (const k of keys) {
          process.stdout.write(
            opts.json
              ? `${JSON.stringify(k)}\n`
              : `${k.keyId}  ${k.status}  fingerprint ${k.fingerprint}  registered ${k.registeredAt.toISOString()}${k.retiredAt ? `  retired ${k.retiredAt.toISOString()}` : ''}\n`,
          );
        }
      } finally {
        await g.close();
      }
    });

  key
    .command('rotate')
    .description(
      'rotate to a new pseudonymisation key: links old and new pseudonyms of everyone in the given source extracts by PseudonymRotated events, then retires the old key',
    )
    .option(
      '--new-key-file <file>',
      'the new key (hex, base64 or 32+ characters); default for the embedded demo: a new random key kept under ./.data/keys',
    )
    .option('--new-key-id <id>', 'the new key id (default: derived from the key)')
    .addOption(
      new Option('--format <format>', 'input format (default: by extension)').choices([
        'ndjson',
        'csv',
      ]),
    )
    .option('--json', 'print the summary as one JSON object')
    .option('--token <jwt>', TOKEN_OPTION_HELP)
    .option('--purpose <purpose>', PURPOSE_OPTION_HELP)
    .argument('<files...>', 'source extracts (any source) holding the people to link')
    .action(async (files: string[], opts: RotateOptions) => {
      const dir = dataDir();
      const previous = loadPseudonymisationKey({
        dataDir: dir,
        allowDemoKey: fs.existsSync(demoKeyPath(dir)),
      });
      const next = newKey(opts, previous.origin === 'demo');
      const actor = await resolveCliActor({ token: opts.token, purpose: opts.purpose });
      const runtime = await openIngestRuntime('key-rotate');
      try {
        const g = await openCliGovernance(runtime.db);
        const params = { fromKeyId: previous.keyId, toKeyId: next.keyId, files: files.length };
        await authorizeCli(actor, 'admin:operations', 'key.rotated', params, g);
        const bus = await openKeyRotationCommandBus({
          sql: runtime.db.sql,
          store: runtime.store,
        });
        const summary = await bus.commands
          .execute(new RotateKeyCommand({ previous, next, files, format: opts.format }))
          .finally(() => bus.close());
        await auditCliRead(
          actor,
          'key.rotated',
          { ...params, persons: summary.persons, linkKeys: summary.linkKeys },
          summary.appended,
          { governance: g },
        );
        if (previous.origin === 'demo') keepDemoKeys(dir, previous, next);
        process.stdout.write(
          opts.json
            ? `${JSON.stringify(summary)}\n`
            : describe(summary, previous.origin === 'demo'),
        );
      } finally {
        await runtime.close();
      }
    });
}

function newKey(opts: RotateOptions, demo: boolean): PseudonymisationKey {
  let material: Buffer;
  if (opts.newKeyFile) {
    let text: string;
    try {
      text = fs.readFileSync(opts.newKeyFile, 'utf8');
    } catch {
      throw new ConfigurationError(`${opts.newKeyFile}: cannot be read`, 'new_key_file_unreadable');
    }
    material = parseKeyMaterial(text);
  } else if (demo) {
    material = randomBytes(32);
  } else {
    throw new ConfigurationError(
      'key rotate needs --new-key-file: the new key is yours to keep (only the embedded demo makes its own)',
      'new_key_missing',
    );
  }
  return { key: material, keyId: opts.newKeyId ?? deriveKeyId(material) };
}

/** The demo's key files after a rotation: the new key in place, the old one kept beside it. */
function keepDemoKeys(dir: string, previous: PseudonymisationKey, next: PseudonymisationKey): void {
  fs.writeFileSync(previousDemoKeyPath(dir), previous.key.toString('hex') + '\n', { mode: 0o600 });
  fs.writeFileSync(demoKeyPath(dir), next.key.toString('hex') + '\n', { mode: 0o600 });
}

function describe(s: KeyRotationSummary, demo: boolean): string {
  return [
    `rotated the pseudonymisation key ${s.fromKeyId} -> ${s.toKeyId}`,
    `  records read       ${s.records}`,
    `  people linked      ${s.persons}`,
    `  link keys linked   ${s.linkKeys} (${s.linkKeysCarried} carried over for the event writer)`,
    `  events appended    ${s.appended} (duplicates ${s.duplicates})`,
    demo
      ? '  the demo key under ./.data/keys is now the new key (the old one is kept beside it)'
      : `  now configure the new key (PSEUDONYMISATION_KEY or _FILE${s.toKeyId ? `, id ${s.toKeyId}` : ''}): the old one is refused from now on`,
    '',
  ].join('\n');
}
