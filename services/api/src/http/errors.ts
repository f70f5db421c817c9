/**
 * Errors are mapped to HTTP once, here. FusionAuth's Errors JSON for 4xx; 5xx bodies never carry
 * internals (the log gets them, with the request id).
 */
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { ConflictError, NotFoundError, ValidationError, type ErrorsBody } from '@idstream/domain';
import { ConcurrencyExhaustedError } from '@idstream/commands';
import { ProjectionTimeoutError } from '@idstream/projection-runner';
import { SearchQueryError, SearchUnavailableError } from '@idstream/search';
import { WebhookTransactionError } from '../application/webhook-transactions.js';
import { RequestRateLimitedError } from '../application/request-rate-limits.js';

/** An HTTP answer decided by a route: a status with an optional Errors JSON body. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(readonly status: number, readonly body?: ErrorsBody) {
    super(`HTTP ${status}`);
  }

  static unauthorized(): HttpError {
    return new HttpError(401);
  }

  static general(status: number, code: string, message: string): HttpError {
    return new HttpError(status, { generalErrors: [{ code, message }] });
  }
}

export function sendErrors(res: Response, status: number, body?: ErrorsBody): void {
  if (body) res.status(status).json(body);
  else res.status(status).end();
}

export const notFoundRoute: RequestHandler = (_req, res) => {
  sendErrors(res, 404);
};

export const errorHandler: ErrorRequestHandler = (error, req, res, _next) => {
  if (res.headersSent) return;
  if (error instanceof RequestRateLimitedError) res.set('Retry-After', String(error.retryAfterSeconds));
  const mapped = mapError(error);
  if (mapped.status >= 500) req.log?.error({ err: error }, 'request failed');
  sendErrors(res, mapped.status, mapped.body);
};

function mapError(error: unknown): { status: number; body?: ErrorsBody } {
  if (error instanceof HttpError) return { status: error.status, ...(error.body && { body: error.body }) };
  if (error instanceof RequestRateLimitedError) return { status: 429, body: { generalErrors: [{ code: '[RateLimited]', message: 'Too many requests of this kind for this user. Try again later.' }] } };
  if (error instanceof WebhookTransactionError) return { status: 504, body: { generalErrors: [{ code: '[WebhookTransactionException]', message: error.message }] } };
  if (error instanceof ValidationError) return { status: 400, body: error.errors };
  if (error instanceof NotFoundError) return { status: 404 };
  if (error instanceof ConflictError) return { status: 409, body: { generalErrors: [{ code: '[Conflict]', message: error.message }] } };
  if (error instanceof SearchQueryError) {
    return { status: 400, body: { fieldErrors: { [error.field]: [{ code: `[invalid]${error.field}`, message: error.message }] } } };
  }
  if (error instanceof SearchUnavailableError) {
    return { status: 503, body: { generalErrors: [{ code: '[SearchEngineUnavailable]', message: 'The search engine is not available.' }] } };
  }
  if (error instanceof ConcurrencyExhaustedError) {
    return { status: 409, body: { generalErrors: [{ code: '[ConcurrentModification]', message: 'Too many concurrent changes; retry the request.' }] } };
  }
  if (error instanceof ProjectionTimeoutError) {
    return { status: 503, body: { generalErrors: [{ code: '[ReadModelUnavailable]', message: 'The change was saved but is not yet readable; retry the read.' }] } };
  }
  if (isStoreUnreachable(error)) {
    return { status: 503, body: { generalErrors: [{ code: '[DataStoreUnavailable]', message: 'A data store is not reachable; retry the request.' }] } };
  }
  const bodyError = error as { type?: string; status?: number; expose?: boolean } | undefined;
  if (bodyError?.type === 'entity.parse.failed') {
    return { status: 400, body: { generalErrors: [{ code: '[invalidJSON]', message: 'Invalid JSON in the request body. The body could not be parsed.' }] } };
  }
  if (bodyError?.type === 'entity.too.large') {
    return { status: 413, body: { generalErrors: [{ code: '[tooLarge]', message: 'The request body is larger than this server accepts.' }] } };
  }
  // The router cannot percent-decode a path segment (`/api/user/%zz`): the client's URL is wrong.
  if (error instanceof URIError) {
    return { status: 400, body: { generalErrors: [{ code: '[invalidURL]', message: 'The request URL could not be decoded.' }] } };
  }
  if (typeof bodyError?.status === 'number' && bodyError.status >= 400 && bodyError.status < 500 && bodyError.expose) {
    return { status: bodyError.status, body: { generalErrors: [{ code: '[invalidRequest]', message: 'The request could not be read.' }] } };
  }
  return { status: 500, body: { generalErrors: [{ code: '[InternalError]', message: 'An internal error occurred.' }] } };
}

/**
 * The MongoDB driver's "cannot reach the server" errors, recognised by name so the edge needs no
 * driver import: a view store outage is a 503 the client can retry, not an internal error.
 */
const unreachableStoreErrors = new Set(['MongoServerSelectionError', 'MongoNetworkError', 'MongoNetworkTimeoutError', 'MongoNotConnectedError', 'MongoTopologyClosedError']);

function isStoreUnreachable(error: unknown): boolean {
  return error instanceof Error && unreachableStoreErrors.has(error.name);
}
