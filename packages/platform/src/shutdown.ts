import type { Logger } from 'pino';

/** Runs `stop` once on SIGINT/SIGTERM, then exits; a second signal exits at once. */
export function exitOnSignals(logger: Logger, stop: () => Promise<void>): void {
  let signals = 0;
  const handle = (signal: string) => {
    if (++signals > 1) process.exit(1);
    logger.info({ signal }, 'shutting down');
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => handle('SIGINT'));
  process.on('SIGTERM', () => handle('SIGTERM'));
}
