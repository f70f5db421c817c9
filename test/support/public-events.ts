/** Helpers for tests of the public event contract: schema validation and signature checks as a receiver does them. */
import { createHash } from 'node:crypto';
import { Ajv, type ValidateFunction } from 'ajv';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { rawRequest } from './harness.js';
import type { ReceivedRequest } from './webhook-receiver.js';

/** Fetches the served schemas and returns a validator of delivered bodies by event type. */
export async function schemaValidator(url: string): Promise<(body: any) => string[]> {
  const served = await rawRequest(`${url}/api/event-schema`);
  if (served.status !== 200) throw new Error(`GET /api/event-schema answered ${served.status}`);
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validators = new Map<string, ValidateFunction>();
  for (const [type, schema] of Object.entries(served.body.schemas as Record<string, object>)) validators.set(type, ajv.compile(schema));
  return (body) => {
    const validate = validators.get(body?.event?.type);
    if (!validate) return [`no schema for type ${body?.event?.type}`];
    return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
  };
}

/** Verifies `X-FusionAuth-Signature-JWT` against the JWKS and the SHA-256 of the raw body, as a receiver would. */
export async function verifySignature(url: string, request: ReceivedRequest): Promise<boolean> {
  const token = request.headers['x-fusionauth-signature-jwt'];
  if (typeof token !== 'string') return false;
  const jwks = createRemoteJWKSet(new URL(`${url}/.well-known/jwks.json`));
  const { payload } = await jwtVerify(token, jwks);
  return payload.request_body_sha256 === createHash('sha256').update(request.rawBody).digest('base64');
}
