/**
 * `idstream events export`: the public events (FusionAuth webhook event shapes, the same the
 * subscriptions API serves) as JSON lines, read straight from the event store in log order. Each
 * line is `{"cursor": "<position>.<index>", "event": {...}}`; pass the last cursor as `--after` to
 * continue where an export stopped.
 */
import type { IdstreamConfig } from '@idstream/config';
import { subjectUserId, toPublicEvents, type UserRecord } from '@idstream/domain';
import { createLogger, openAdapters } from '@idstream/platform';
import { resolveReadModels } from '@idstream/projector';

export interface ExportOptions {
  /** `<position>` (everything up to it was seen) or `<position>.<index>`. */
  after?: string;
  types?: string[];
  tenantId?: string;
  /** Stop after this many public events. */
  limit?: number;
}

export class CursorError extends Error {
  override readonly name = 'CursorError';
}

export async function exportEvents(config: IdstreamConfig, options: ExportOptions, out: NodeJS.WritableStream): Promise<{ events: number; lastCursor?: string }> {
  const cursor = options.after === undefined ? undefined : parseCursor(options.after);
  const logger = createLogger({ logLevel: config.logLevel === 'info' ? 'warn' : config.logLevel });
  const adapters = await openAdapters(config, logger);
  try {
    const readModels = await resolveReadModels(adapters.views, adapters.search);
    const userOf = async (userId: string): Promise<UserRecord | undefined> => (await readModels.users.get(userId))?.body.user;
    const types = options.types && options.types.length > 0 ? new Set(options.types) : undefined;
    let after = cursor === undefined ? undefined : cursor.index === undefined ? cursor.position : cursor.position - 1;
    let written = 0;
    let lastCursor: string | undefined;
    for (;;) {
      const page = await adapters.eventStore.readAll({ ...(after !== undefined && { after }), maxCount: 1_000 });
      if (page.length === 0) break;
      for (const event of page) {
        const userId = subjectUserId(event.streamName);
        // Login events carry the user as it is now (FusionAuth sends the current user).
        const publics = toPublicEvents(event, userId && event.type.startsWith('Login') ? await userOf(userId) : undefined);
        for (const [index, pub] of publics.entries()) {
          if (cursor && event.position === cursor.position && cursor.index !== undefined && index <= cursor.index) continue;
          if (types && !types.has(pub.type)) continue;
          if (options.tenantId && pub.tenantId !== options.tenantId) continue;
          lastCursor = `${event.position}.${index}`;
          if (!out.write(`${JSON.stringify({ cursor: lastCursor, event: pub })}\n`)) await new Promise((r) => out.once('drain', r));
          if (++written === options.limit) return { events: written, lastCursor };
        }
      }
      after = page[page.length - 1]!.position;
    }
    return { events: written, ...(lastCursor && { lastCursor }) };
  } finally {
    await adapters.close();
  }
}

function parseCursor(value: string): { position: number; index?: number } {
  const match = /^(\d{1,15})(?:\.(\d{1,4}))?$/.exec(value.trim());
  if (!match) throw new CursorError(`--after must be a position or a cursor like 42.0, got "${value}"`);
  return { position: Number(match[1]), ...(match[2] !== undefined && { index: Number(match[2]) }) };
}
