import { pino, type Logger } from 'pino';
import type { IdstreamConfig } from '@idstream/config';

/** Structured JSON logs; credentials are redacted wherever they could appear. */
export function createLogger(config: Pick<IdstreamConfig, 'logLevel'>, name = 'idstream'): Logger {
  return pino({
    name,
    level: config.logLevel,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.apiKey', '*.key', '*.token', '*.code', '*.secret'],
      censor: '[redacted]',
    },
  });
}
export type { Logger };
