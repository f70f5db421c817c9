/**
 * Delivers one webhook job: loads the event and the webhook, builds FusionAuth's body, signs it, and
 * POSTs it. Transient failures (network, timeouts, 5xx, 408/429) throw so the queue retries with
 * backoff; a permanent refusal (other 4xx) or a vanished event/webhook ends the job.
 */
import { createHash } from 'node:crypto';
import { subjectUserId, toPublicEvents, type ConfigDocument } from '@idstream/domain';
import type { EventStore } from '@idstream/eventstore';
import { PermanentJobError, type JobContext } from '@idstream/jobs';
import type { UserViewBody } from '@idstream/projection-user-views';
import type { WebhookDocument, WebhookJob } from '@idstream/reactors';
import type { ViewCollection } from '@idstream/views';

export interface WebhookSignature {
  /** Returns a compact JWT over `{request_body_sha256}` with the webhook's signing key. */
  sign(signingKeyId: string, payload: Record<string, unknown>): Promise<string>;
}

export interface WebhookSenderDeps {
  eventStore: EventStore;
  webhooks: () => ViewCollection<ConfigDocument>;
  users: () => ViewCollection<UserViewBody>;
  signer: WebhookSignature;
  /** Decrypts secrets stored encrypted in configuration (basic auth password). */
  reveal(secret: string): string;
}

export interface DeliveryResult {
  status?: number;
  durationMs: number;
}

interface FullWebhook extends WebhookDocument {
  headers?: Record<string, string>;
  httpAuthenticationUsername?: string;
  httpAuthenticationPassword?: string;
  connectTimeout?: number;
  readTimeout?: number;
  signatureConfiguration?: { enabled?: boolean; signingKeyId?: string };
}

export class TransientDeliveryError extends Error {
  override readonly name = 'TransientDeliveryError';
}

export function createWebhookSender(deps: WebhookSenderDeps) {
  return async function deliver(job: WebhookJob, _context: JobContext): Promise<DeliveryResult> {
    const hook = (await deps.webhooks().get(job.webhookId))?.body as FullWebhook | undefined;
    if (!hook) throw new PermanentJobError(`webhook ${job.webhookId} no longer exists`);
    const [source] = await deps.eventStore.readStream(job.streamName, { fromRevision: job.revision, maxCount: 1 });
    // A hard-deleted user takes its events with it: nothing personal may be sent afterwards.
    if (!source || source.revision !== job.revision) throw new PermanentJobError('source event no longer exists');
    const userId = subjectUserId(job.streamName);
    const currentUser = userId ? (await deps.users().get(userId))?.body.user : undefined;
    const event = toPublicEvents(source, currentUser).find((e) => e.id === job.eventId);
    if (!event) throw new PermanentJobError(`event ${job.eventId} has no public form`);

    const body = JSON.stringify({ event });
    const headers: Record<string, string> = { ...(hook.headers ?? {}), 'Content-Type': 'application/json' };
    if (hook.httpAuthenticationUsername) {
      const password = hook.httpAuthenticationPassword ? deps.reveal(hook.httpAuthenticationPassword) : '';
      headers.Authorization = `Basic ${Buffer.from(`${hook.httpAuthenticationUsername}:${password}`).toString('base64')}`;
    }
    if (hook.signatureConfiguration?.enabled && hook.signatureConfiguration.signingKeyId) {
      const digest = createHash('sha256').update(body).digest('base64');
      headers['X-FusionAuth-Signature-JWT'] = await deps.signer.sign(hook.signatureConfiguration.signingKeyId, { request_body_sha256: digest });
    }

    const started = performance.now();
    const timeoutMs = (hook.connectTimeout ?? 1_000) + (hook.readTimeout ?? 2_000);
    let response: Response;
    try {
      response = await fetch(hook.url, { method: 'POST', body, headers, signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
      await response.arrayBuffer();
    } catch (error) {
      throw new TransientDeliveryError(`POST ${hook.url} failed: ${(error as Error).message}`);
    }
    const durationMs = performance.now() - started;
    if (response.status >= 200 && response.status < 300) return { status: response.status, durationMs };
    const message = `POST ${hook.url} answered ${response.status}`;
    if (response.status >= 500 || [408, 425, 429].includes(response.status)) throw new TransientDeliveryError(message);
    throw new PermanentJobError(message);
  };
}
