/**
 * User search (`GET|POST /api/user/search`): the search index answers with ids (always scoped to the
 * caller's tenant when it has one), the users come from the views, as FusionAuth returns them.
 */
import type { SearchRequest, SortField } from '@idstream/search';
import { ValidationError, FieldErrors, type UserRecord } from '@idstream/domain';
import type { AppContext } from './context.js';
import { presentUser } from './users.js';

const expandable = ['memberships', 'registrations'] as const;

export interface UserSearchInput {
  ids?: string[];
  queryString?: string;
  query?: string;
  sortFields?: SortField[];
  startRow?: number;
  numberOfResults?: number;
  accurateTotal?: boolean;
  nextResults?: string;
  expand?: string[];
  scopeTenantId?: string;
}

export interface UserSearchResult {
  total: number;
  users: UserRecord[];
  expandable: string[];
  nextResults?: string;
}

export async function searchUsers(ctx: AppContext, input: UserSearchInput): Promise<UserSearchResult> {
  const errors = new FieldErrors();
  if (!input.ids?.length && !input.queryString && !input.query && !input.nextResults) {
    errors.add('search.queryString', 'blank', 'You must specify one of [search.ids], [search.queryString], [search.query] or [search.nextResults].');
  }
  if (input.startRow !== undefined && (!Number.isInteger(input.startRow) || input.startRow < 0)) errors.add('search.startRow', 'invalid', '[search.startRow] must be 0 or more.');
  if (input.numberOfResults !== undefined && (!Number.isInteger(input.numberOfResults) || input.numberOfResults < 0 || input.numberOfResults > 10_000)) {
    errors.add('search.numberOfResults', 'invalid', '[search.numberOfResults] must be from 0 to 10000.');
  }
  if (input.nextResults && (input.ids?.length || input.queryString || input.query || input.sortFields?.length || (input.startRow ?? 0) > 0)) {
    errors.add('search.nextResults', 'invalid', '[search.nextResults] cannot be used with ids, query, queryString, sortFields or a startRow.');
  }
  input.sortFields?.forEach((field, i) => {
    if (!field.name) errors.add(`search.sortFields[${i}].name`, 'blank', `[search.sortFields[${i}].name] is required.`);
    if (field.order !== undefined && field.order !== 'asc' && field.order !== 'desc') errors.add(`search.sortFields[${i}].order`, 'invalid', 'The order must be asc or desc.');
  });
  const expand = input.expand ?? [...expandable];
  if (!expand.every((e) => (expandable as readonly string[]).includes(e))) errors.add('expand', 'invalid', `[expand] may hold ${expandable.join(', ')}.`);
  errors.throwIfAny();

  const request: SearchRequest = {
    ...(input.scopeTenantId && { tenantId: input.scopeTenantId }),
    ...(input.ids?.length ? { ids: input.ids.map((i) => i.toLowerCase()) } : {}),
    ...(input.queryString && { queryString: input.queryString }),
    ...(input.query && { query: input.query }),
    ...(input.sortFields && { sortFields: input.sortFields }),
    ...(input.startRow !== undefined && { startRow: input.startRow }),
    numberOfResults: input.numberOfResults ?? 25,
    ...(input.accurateTotal && { accurateTotal: true }),
    ...(input.nextResults && { nextResults: input.nextResults }),
  };
  if (request.ids && request.ids.some((id) => !/^[0-9a-f-]{36}$/.test(id))) throw ValidationError.field('search.ids', 'couldNotConvert', '[search.ids] must be UUIDs.');
  const result = await ctx.readModels.search.search(request);
  const views = await ctx.readModels.users.getMany(result.ids);
  const users = views
    .filter((v) => !input.scopeTenantId || v.tenantId === input.scopeTenantId)
    .map((v) => {
      const user = presentUser(v, true) as Record<string, unknown>;
      for (const field of expandable) if (!expand.includes(field)) delete user[field];
      return user as UserRecord;
    });
  return { total: request.ids ? users.length : result.total, users, expandable: expandable.filter((e) => !expand.includes(e)), ...(result.nextResults && { nextResults: result.nextResults }) };
}

/** `PUT /api/user/search`: returns once everything committed before it is searchable. */
export async function refreshSearch(ctx: AppContext): Promise<void> {
  await ctx.waiters.search.waitFor(await ctx.eventStore.headPosition(), 60_000);
  await ctx.readModels.search.refresh();
}
