/**
 * Delivers one public event to one webhook: builds FusionAuth's body, adds the webhook's headers,
 * basic auth and `X-FusionAuth-Signature-JWT`, and POSTs it with the webhook's connect and read
 * timeouts. Used by the queue worker (after the fact) and by transactional events (before the append).
 *
 * Transient failures (network, timeouts, 5xx, 408/425/429) throw {@link TransientDeliveryError} so
 * the queue retries with backoff; a permanent refusal (other 4xx) or a vanished event/webhook throws
 * a {@link PermanentJobError} and ends the job.
 */
import { createHash } from 'node:crypto';
import { toPublicEvents, type ConfigDocument, type PublicEvent } from '@idstream/domain';
import type { EventStore } from '@idstream/eventstore';
import { DeferJobError, PermanentJobError, type JobContext } from '@idstream/jobs';
import type { UserViewBody } from '@idstream/projection-user-views';
import { eventSubjectUserId, type WebhookDocument, type WebhookJob } from '@idstream/reactors';
import type { ViewCollection } from '@idstream/views';
import { postJson, PostError } from './http-post.js';
import { defaultBreakerSettings, EndpointBreakers, type BreakerSettings, type TryVerdict } from './circuit-breaker.js';

export interface WebhookSignature {
  /** Returns a compact JWT over `{request_body_sha256}` with the webhook's signing key. */
  sign(signingKeyId: string, payload: Record<string, unknown>): Promise<string>;
}

/** What sending needs besides the webhook itself. */
export interface WebhookCredentials {
  signer: WebhookSignature;
  /** Decrypts secrets stored encrypted in configuration (basic auth password). */
  reveal(secret: string): string;
}

export interface WebhookSenderDeps extends WebhookCredentials {
  eventStore: EventStore;
  webhooks: () => ViewCollection<ConfigDocument>;
  users: () => ViewCollection<UserViewBody>;
  /** Circuit breakers per endpoint; a sender of its own when not given. */
  breakers?: EndpointBreakers;
}

export interface DeliveryResult {
  status: number;
  latencyMs: number;
  eventType: string;
}

export interface FullWebhook extends WebhookDocument {
  headers?: Record<string, string>;
  httpAuthenticationUsername?: string;
  httpAuthenticationPassword?: string;
  connectTimeout?: number;
  readTimeout?: number;
  signatureConfiguration?: { enabled?: boolean; signingKeyId?: string };
}

/** A failed try worth repeating; carries what the delivery log records. */
export class TransientDeliveryError extends Error {
  override readonly name = 'TransientDeliveryError';
  constructor(message: string, readonly latencyMs: number, readonly status?: number) {
    super(message);
  }
}

/** The endpoint refused the event (4xx other than 408/425/429): retrying cannot help. */
export class RefusedDeliveryError extends PermanentJobError {
  constructor(message: string, readonly latencyMs: number, readonly status: number) {
    super(message);
  }
}

/** POSTs `{"event": event}` to the webhook; resolves on 2xx, throws a transient or refused error otherwise. */
export async function sendToWebhook(hook: FullWebhook, event: PublicEvent, credentials: WebhookCredentials): Promise<{ status: number; latencyMs: number }> {
  const body = JSON.stringify({ event });
  const headers: Record<string, string> = { ...(hook.headers ?? {}), 'Content-Type': 'application/json' };
  if (hook.httpAuthenticationUsername) {
    const password = hook.httpAuthenticationPassword ? credentials.reveal(hook.httpAuthenticationPassword) : '';
    headers.Authorization = `Basic ${Buffer.from(`${hook.httpAuthenticationUsername}:${password}`).toString('base64')}`;
  }
  if (hook.signatureConfiguration?.enabled && hook.signatureConfiguration.signingKeyId) {
    // FusionAuth's signature: a JWT whose only claim is the base64 SHA-256 of the exact bytes sent.
    const digest = createHash('sha256').update(body).digest('base64');
    headers['X-FusionAuth-Signature-JWT'] = await credentials.signer.sign(hook.signatureConfiguration.signingKeyId, { request_body_sha256: digest });
  }
  let result;
  try {
    result = await postJson({ url: hook.url, body, headers, connectTimeoutMs: hook.connectTimeout ?? 1_000, readTimeoutMs: hook.readTimeout ?? 2_000 });
  } catch (error) {
    const latencyMs = error instanceof PostError ? error.latencyMs : 0;
    throw new TransientDeliveryError(`POST ${hook.url} failed: ${(error as Error).message}`, latencyMs);
  }
  if (result.status >= 200 && result.status < 300) return result;
  const message = `POST ${hook.url} answered ${result.status}`;
  if (result.status >= 500 || [408, 425, 429].includes(result.status) || result.status < 200) {
    throw new TransientDeliveryError(message, result.latencyMs, result.status);
  }
  throw new RefusedDeliveryError(message, result.latencyMs, result.status);
}

export function createWebhookSender(deps: WebhookSenderDeps) {
  const breakers = deps.breakers ?? new EndpointBreakers();
  return async function deliver(job: WebhookJob, _context: JobContext): Promise<DeliveryResult> {
    const hook = (await deps.webhooks().get(job.webhookId))?.body as FullWebhook | undefined;
    if (!hook) throw new PermanentJobError(`webhook ${job.webhookId} no longer exists`);
    const admission = breakers.admit(hook.id, breakerSettingsOf(hook));
    if (!admission.admitted) throw new DeferJobError(admission.retryInMs, `circuit open for webhook ${hook.id}`);
    try {
      const result = await deliverAdmitted(job, hook);
      admission.settle('healthy');
      return result;
    } catch (error) {
      admission.settle(verdictOf(error));
      throw error;
    }
  };

  async function deliverAdmitted(job: WebhookJob, hook: FullWebhook): Promise<DeliveryResult> {
    const [source] = await deps.eventStore.readStream(job.streamName, { fromRevision: job.revision, maxCount: 1 });
    // A hard-deleted user takes its events with it: nothing personal may be sent afterwards.
    if (!source || source.revision !== job.revision) throw new PermanentJobError('source event no longer exists');
    const userId = eventSubjectUserId(source);
    const currentUser = userId ? (await deps.users().get(userId))?.body.user : undefined;
    const event = toPublicEvents(source, currentUser).find((e) => e.id === job.eventId);
    if (!event) throw new PermanentJobError(`event ${job.eventId} has no public form`);
    const result = await sendToWebhook(hook, event, deps);
    return { ...result, eventType: event.type };
  }
}

/** An endpoint that answered (even with a refusal) is alive; a vanished event says nothing about it. */
function verdictOf(error: unknown): TryVerdict {
  if (error instanceof TransientDeliveryError) return 'failed';
  if (error instanceof RefusedDeliveryError) return 'healthy';
  return 'unrelated';
}

/** Idstream extension: `deliveryPolicy.circuitBreakerThreshold` and `circuitBreakerCoolDownMs` tune the breaker per webhook. */
function breakerSettingsOf(hook: FullWebhook): BreakerSettings {
  const policy = (hook.deliveryPolicy ?? {}) as Record<string, unknown>;
  const positive = (value: unknown, fallback: number) => (typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : fallback);
  const coolDownMs = positive(policy.circuitBreakerCoolDownMs, defaultBreakerSettings.coolDownMs);
  return {
    failureThreshold: positive(policy.circuitBreakerThreshold, defaultBreakerSettings.failureThreshold),
    coolDownMs,
    // A webhook tuned to a short cool-down keeps probing at most 16 times less often.
    maxCoolDownMs: Math.min(defaultBreakerSettings.maxCoolDownMs, Math.max(coolDownMs, coolDownMs * 16)),
  };
}
