/**
 * Where each read model currently lives (versioned targets behind aliases) and how to reach it.
 * Shared by the projector (which writes) and the API (which reads and waits for positions).
 */
import type { ConfigDocument, ConfigKind } from '@idstream/domain';
import { configCollectionNames } from '@idstream/projection-config-views';
import { USER_VIEWS_ALIAS, type UserViewBody } from '@idstream/projection-user-views';
import { LOGIN_RECORDS_COLLECTION, REFRESH_TOKENS_COLLECTION, type LoginRecordBody, type RefreshTokensBody } from '@idstream/projection-user-views';
import type { SearchIndex } from '@idstream/search';
import { checkpointCached, type ViewCollection, type ViewDatabase } from '@idstream/views';
import { DELIVERY_LOG_COLLECTION, type DeliveryLogBody } from '@idstream/reactors';
import { PASSWORDLESS_CODES_COLLECTION, type PasswordlessCodesBody } from '@idstream/reactors';
import { EVENT_LOG_COLLECTION, type EventLogBody } from '@idstream/reactors';

export const CONFIG_VIEWS_CHECKPOINT = 'config-views';
export const userViewsCheckpoint = (collection: string) => `user-views:${collection}`;
export const userSearchCheckpoint = (version: number) => `user-search:v${version}`;

export interface ReadModels {
  /** The live user views collection; replaced in place when a rebuild switches the alias. */
  users: ViewCollection<UserViewBody>;
  usersCollectionName: string;
  config: Record<ConfigKind, ViewCollection<ConfigDocument>>;
  search: SearchIndex;
  searchVersion: number;
  /** Refresh tokens by user (applied with the user views). */
  refreshTokens: ViewCollection<RefreshTokensBody>;
  /** Successful logins, eventually consistent. */
  loginRecords: ViewCollection<LoginRecordBody>;
  /** The webhook delivery log (one document per webhook and public event). */
  webhookDeliveries: ViewCollection<DeliveryLogBody>;
  /** Passwordless code streams by user (kept for hard delete), eventually consistent. */
  passwordlessCodes: ViewCollection<PasswordlessCodesBody>;
  /** FusionAuth's Event Log (identity provider debug entries), eventually consistent. */
  eventLog: ViewCollection<EventLogBody>;
}

export async function resolveReadModels(views: ViewDatabase, search: SearchIndex): Promise<ReadModels> {
  let usersCollectionName = await views.getAlias(USER_VIEWS_ALIAS);
  if (!usersCollectionName) {
    usersCollectionName = `${USER_VIEWS_ALIAS}_v1`;
    await views.setAlias(USER_VIEWS_ALIAS, usersCollectionName);
  }
  let searchVersion = await search.currentVersion();
  if (searchVersion === undefined) {
    searchVersion = 1;
    await search.version(1);
    await search.switchTo(1);
  }
  // Configuration is read on nearly every request and changes rarely: answers are kept while the
  // config projection's checkpoint stands still (see checkpointCached).
  const configCheckpoint = () => views.getCheckpoint(CONFIG_VIEWS_CHECKPOINT);
  const config = Object.fromEntries(
    Object.entries(configCollectionNames).map(([kind, name]) => [kind, checkpointCached(views.collection<ConfigDocument>(name), configCheckpoint)]),
  ) as Record<ConfigKind, ViewCollection<ConfigDocument>>;
  return {
    users: views.collection<UserViewBody>(usersCollectionName),
    usersCollectionName,
    config,
    search: await search.version(searchVersion),
    searchVersion,
    refreshTokens: views.collection<RefreshTokensBody>(REFRESH_TOKENS_COLLECTION),
    loginRecords: views.collection<LoginRecordBody>(LOGIN_RECORDS_COLLECTION),
    webhookDeliveries: views.collection<DeliveryLogBody>(DELIVERY_LOG_COLLECTION),
    passwordlessCodes: views.collection<PasswordlessCodesBody>(PASSWORDLESS_CODES_COLLECTION),
    eventLog: views.collection<EventLogBody>(EVENT_LOG_COLLECTION),
  };
}
