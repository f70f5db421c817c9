/**
 * The `idstream` command line: `start` runs the service; `rebuild <projection>` rebuilds a read model.
 */
import { ConfigError, loadConfig } from '@idstream/config';
import { rebuild, rebuildable, type RebuildableProjection } from './rebuild.js';

const usage = `usage: idstream <command>
  start                       run the service (same as pnpm start)
  rebuild <${rebuildable.join('|')}>   replay the event log into a new version of a read model and switch to it`;

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'start':
      await import('@idstream/api/main');
      return -1;
    case 'rebuild': {
      const projection = args[0];
      if (!rebuildable.includes(projection as RebuildableProjection)) {
        process.stderr.write(`${usage}\n`);
        return 64;
      }
      const target = await rebuild(loadConfig(), projection as RebuildableProjection);
      process.stdout.write(`${projection} rebuilt into ${target}\n`);
      return 0;
    }
    default:
      process.stderr.write(`${usage}\n`);
      return command === undefined || command === '--help' ? 0 : 64;
  }
}

try {
  const code = await main(process.argv.slice(2));
  if (code >= 0) process.exit(code);
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? error.message : (error as Error).stack ?? String(error)}\n`);
  process.exit(1);
}
