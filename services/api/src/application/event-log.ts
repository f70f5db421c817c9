/**
 * FusionAuth's Event Log: retrieve by id and search (message substring, type, time range), newest
 * first. Entries come from the event log view (eventually consistent). Search filters in memory: the
 * log holds debug traces of identity providers, a volume that stays small next to users.
 */
import type { EventLogType } from '@idstream/domain';
import { eventLogDocumentId, type EventLogBody } from '@idstream/reactors';
import type { AppContext } from './context.js';

export interface EventLogCriteria {
  message?: string;
  type?: EventLogType;
  start?: number;
  end?: number;
  startRow: number;
  numberOfResults: number;
}

export const eventLogTypes: readonly EventLogType[] = ['Information', 'Debug', 'Error'];

export async function retrieveEventLog(ctx: AppContext, id: number): Promise<EventLogBody | undefined> {
  const document = await ctx.readModels.eventLog.get(eventLogDocumentId(id));
  return document ? present(document.body) : undefined;
}

export async function searchEventLogs(ctx: AppContext, criteria: EventLogCriteria): Promise<{ eventLogs: EventLogBody[]; total: number }> {
  const needle = criteria.message?.replace(/\*/g, '').toLowerCase();
  const matches = (await ctx.readModels.eventLog.list())
    .map((d) => d.body)
    .filter((e) => (!needle || e.message.toLowerCase().includes(needle)) && (!criteria.type || e.type === criteria.type))
    .filter((e) => (criteria.start === undefined || e.insertInstant >= criteria.start) && (criteria.end === undefined || e.insertInstant <= criteria.end))
    .reverse();
  return { eventLogs: matches.slice(criteria.startRow, criteria.startRow + criteria.numberOfResults).map(present), total: matches.length };
}

function present({ id, insertInstant, message, type }: EventLogBody): EventLogBody {
  return { id, insertInstant, message, type };
}
