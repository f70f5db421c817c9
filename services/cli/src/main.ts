/**
 * The `idstream` command line: `start` runs the service; `rebuild <projection>` rebuilds a read
 * model; `import <file>` streams a FusionAuth import file into a running service (resumable);
 * `kickstart <file>` applies a Kickstart file to a running service; `events export` writes the
 * public events as JSON lines.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '@idstream/config';
import { CursorError, exportEvents } from './events-export.js';
import { CheckpointMismatchError } from './import/checkpoint.js';
import { ImportFileError } from './import/import-file.js';
import { importFile, ImportRejectedError, MAX_BATCH_SIZE } from './import/import.js';
import { applyKickstart, KickstartFailedError } from './kickstart.js';
import { rebuild, rebuildable, type RebuildableProjection } from './rebuild.js';
import { CliUsageError, resolveTarget, ServiceUnreachableError } from './service-client.js';

const usage = `usage: idstream <command>
  start                       run the service (same as pnpm start)
  rebuild <${rebuildable.join('|')}>   replay the event log into a new version of a read model and switch to it
  import <file> [--batch-size N] [--tenant-id ID] [--encryption-scheme S] [--factor N] [--validate-db-constraints]
                              send a FusionAuth import file ({"users": [...]}) to the running service;
                              run it again after an interruption to resume (checkpoint: <file>.idstream-checkpoint.json)
  kickstart <file>            apply a FusionAuth Kickstart file (apiKeys, requests) to the running service
  events export [--after CURSOR] [--type T]... [--tenant-id ID] [--limit N]
                              public events as JSON lines ({"cursor", "event"}) from the event store

  import and kickstart reach the service at IDSTREAM_URL (or --url; default http://127.0.0.1:$PORT)
  with the API key in IDSTREAM_API_KEY (or --api-key; default: the data directory's bootstrap key).`;

const targetOptions = {
  url: { type: 'string' },
  'api-key': { type: 'string' },
  'tenant-id': { type: 'string' },
} as const;

function positiveInteger(value: string | undefined, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) throw new CliUsageError(`${name} must be a whole number from 1 to ${max}`);
  return Number(value);
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'start':
      await import('@idstream/api/main');
      return -1;
    case 'rebuild': {
      const projection = args[0];
      if (!rebuildable.includes(projection as RebuildableProjection)) throw new CliUsageError(`rebuild needs one of ${rebuildable.join(', ')}`);
      const target = await rebuild(loadConfig(), projection as RebuildableProjection);
      process.stdout.write(`${projection} rebuilt into ${target}\n`);
      return 0;
    }
    case 'import': {
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: { ...targetOptions, 'batch-size': { type: 'string' }, 'encryption-scheme': { type: 'string' }, factor: { type: 'string' }, 'validate-db-constraints': { type: 'boolean' } },
      });
      if (positionals.length !== 1) throw new CliUsageError('import needs exactly one file');
      const report = await importFile(resolveTarget(values), positionals[0]!, {
        batchSize: positiveInteger(values['batch-size'], '--batch-size', MAX_BATCH_SIZE, MAX_BATCH_SIZE),
        options: {
          ...(values['encryption-scheme'] && { encryptionScheme: values['encryption-scheme'] }),
          ...(values.factor && { factor: positiveInteger(values.factor, '--factor', 1) }),
          ...(values['validate-db-constraints'] && { validateDbConstraints: true }),
        },
      });
      if (report.alreadyComplete) {
        process.stdout.write(`already imported: ${report.users} users in ${report.batches} batches; delete ${report.checkpoint} to import the file again\n`);
        return 0;
      }
      process.stdout.write(`imported ${report.users} users in ${report.batches} batches (${report.importedNow} in this run${report.resumedFromBatch > 0 ? `, resumed at batch ${report.resumedFromBatch + 1}` : ''}); checkpoint ${report.checkpoint}\n`);
      return 0;
    }
    case 'kickstart': {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: targetOptions });
      if (positionals.length !== 1) throw new CliUsageError('kickstart needs exactly one file');
      const applied = await applyKickstart(resolveTarget(values), positionals[0]!);
      process.stdout.write(`kickstart applied: ${applied.apiKeys} API keys, ${applied.requests} requests\n`);
      return 0;
    }
    case 'events': {
      const [sub, ...rest] = args;
      if (sub !== 'export') throw new CliUsageError('the events command has one subcommand: export');
      const { values } = parseArgs({
        args: rest,
        options: { after: { type: 'string' }, type: { type: 'string', multiple: true }, 'tenant-id': { type: 'string' }, limit: { type: 'string' } },
      });
      const result = await exportEvents(
        loadConfig(),
        {
          ...(values.after !== undefined && { after: values.after }),
          ...(values.type && { types: values.type }),
          ...(values['tenant-id'] && { tenantId: values['tenant-id'] }),
          ...(values.limit && { limit: positiveInteger(values.limit, '--limit', 1) }),
        },
        process.stdout,
      );
      process.stderr.write(`${result.events} events exported${result.lastCursor ? `; continue with --after ${result.lastCursor}` : ''}\n`);
      return 0;
    }
    default:
      process.stderr.write(`${usage}\n`);
      return command === undefined || command === '--help' ? 0 : 64;
  }
}

/** Errors an operator can act on are printed as one message; anything else with its stack. */
const expected = [ConfigError, CliUsageError, ImportFileError, ImportRejectedError, CheckpointMismatchError, KickstartFailedError, CursorError, ServiceUnreachableError];

try {
  const code = await main(process.argv.slice(2));
  if (code >= 0) process.exit(code);
} catch (error) {
  const known = expected.some((type) => error instanceof type) || (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION';
  process.stderr.write(`${known ? `idstream: ${(error as Error).message}` : ((error as Error).stack ?? String(error))}\n`);
  if (error instanceof CliUsageError) process.stderr.write(`${usage}\n`);
  process.exit(error instanceof CliUsageError ? 64 : 1);
}
