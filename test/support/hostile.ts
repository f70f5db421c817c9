/**
 * Generators and checks shared by the hostile-input suites: odd strings, hostile JSON values, bad
 * path segments and query strings, a raw HTTP sender that can send what `fetch` callers normally
 * cannot (undecodable percent escapes, lone surrogates), and the Errors JSON shape check.
 */
import http from 'node:http';
import fc from 'fast-check';

/** Strings a careless parser, regex, logger or database mishandles. */
export const ODD_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\uD800',
  '\uDFFF',
  'x\uDBFFy',
  '\u202Eevil\u202C',
  '\u200B\u200D\uFEFF',
  '🦄‍🔥👩🏽‍💻',
  'ﷺ',
  'Ꙭ',
  'e\u0301\u0301\u0301',
  '\r\nX-Injected: 1',
  '../../../etc/passwd',
  "' OR 1=1 --",
  '"; DROP TABLE events; --',
  '${jndi:ldap://127.0.0.1/x}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '%00%ff',
  '*',
  '\\',
  '"',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  'NaN',
  '-1',
  '1e309',
  '9'.repeat(400),
];

/** Property names that pollute prototypes in naive merges. */
export const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];

/** Field names the API reads: hostile values under them reach validation, not just the parser. */
export const KNOWN_OBJECT_FIELDS = ['user', 'tenant', 'application', 'webhook', 'apiKey', 'key', 'identityProvider', 'registration', 'search', 'data', 'metaData', 'request', 'identityProviderLink', 'users', 'refreshTokens', 'ids', 'events', 'eventConfiguration', 'jwtConfiguration', 'permissions'];
export const KNOWN_SCALAR_FIELDS = ['loginId', 'password', 'applicationId', 'code', 'twoFactorId', 'changePasswordId', 'email', 'username', 'token', 'refreshToken', 'userId', 'query', 'queryString', 'currentPassword', 'oneTimePassword', 'ipAddress', 'sendForgotPasswordEmail', 'state', 'identityProviderId', 'verificationId', 'trustComputer', 'noJWT', 'limit', 'numberOfResults', 'startRow', 'hardDelete', 'dryRun', 'tenantId', 'id', 'name', 'url', 'algorithm', 'length', 'twoFactorTrustId', 'methodId', 'secret', 'global', 'encryptionScheme', 'factor', 'validateDbConstraints'];
export const QUERY_NAMES = ['userId', 'applicationId', 'email', 'username', 'loginId', 'limit', 'offset', 'start', 'end', 'query', 'queryString', 'ids', 'type', 'after', 'code', 'token', 'refreshToken', 'global', 'tenantId', 'expand', 'numberOfResults', 'startRow', 'sortFields', 'zoneId', 'dateTimeSecondsFormat', 'retrieveTotal', 'identityProviderId', 'identityProviderUserId', 'domain', 'methodId', 'webhookId', 'eventId', 'verificationId', 'changePasswordId', 'hardDelete', 'dryRun', 'externalId', 'nextResults', 'ipAddress', 'redirect_uri', 'state', 'keyId', 'userCode', 'sort', 'accurateTotal'];

export const oddString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...ODD_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom(...PROTO_KEYS) },
);

const oddNumber = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(0, -0, 1e308, -1e308, 2 ** 53 + 1, 5e-324, 1e21));

/** Any JSON value with odd strings and prototype keys; object keys are rarely ones the API knows. */
export const hostileJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    oddString,
    oddNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(oddString, fc.constantFrom(...PROTO_KEYS)), tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** A value of the wrong type for an object field (the API wants an object there). */
const notAnObject = fc.oneof(oddString, oddNumber, fc.boolean(), fc.array(hostileJson, { maxLength: 3 }));
/** A value of the wrong type for a scalar field (string, number or boolean wanted). */
const notAScalar = fc.oneof(fc.array(hostileJson, { maxLength: 3 }), fc.dictionary(oddString, hostileJson, { maxKeys: 3 }));

/**
 * A request body: random JSON, or an object whose known fields carry the wrong type, with extra
 * fields. Built so that it is never a valid request for any route (a valid one would change data).
 */
export const hostileBody: fc.Arbitrary<unknown> = fc.oneof(
  hostileJson,
  fc.constantFrom<unknown>({}, [], null, 'text', 0, true, { user: null }, { '__proto__': { admin: true } }),
  fc
    .tuple(
      fc.dictionary(fc.constantFrom(...KNOWN_OBJECT_FIELDS), notAnObject, { minKeys: 1, maxKeys: 3 }),
      fc.dictionary(fc.constantFrom(...KNOWN_SCALAR_FIELDS), notAScalar, { maxKeys: 3 }),
      fc.dictionary(oddString, hostileJson, { maxKeys: 2 }),
    )
    .map(([objects, scalars, extra]) => ({ ...extra, ...scalars, ...objects })),
);

/** A path segment where an id belongs: malformed ids, valid-looking unknown UUIDs, raw escapes. */
export const hostileSegment: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('not-a-uuid', '00000000-0000-0000-0000-00000000000g', '0'.repeat(2000), '..', '.', 'null', 'undefined', '{{id}}', '%', '%zz', '%ED%A0%80', '%FF%FE', '%00', '%2F', '%2e%2e', '__proto__', 'constructor').map((raw) => ({ raw })),
  fc.uuid().map((text) => ({ text })),
  oddString.filter((s) => s !== '').map((text) => ({ text })),
).map((s) => ('raw' in s ? s.raw : encodeBytes(s.text)));

/** A query string: known names, repeated names, array syntax and prototype keys, odd values. */
export const hostileQuery: fc.Arbitrary<string> = fc
  .array(
    fc.tuple(
      fc.oneof(fc.constantFrom(...QUERY_NAMES), fc.constantFrom(...PROTO_KEYS, '__proto__[polluted]', 'constructor[prototype][polluted]', 'a[]', 'limit[]', 'userId[0]', 'ids[]'), oddString),
      // Never `*`: `DELETE /api/user/bulk?queryString=*` is a valid request that deletes everyone.
      fc.oneof(oddString.filter((s) => s !== '*'), fc.uuid(), fc.constantFrom('true', 'false', '-1', '0', '99999999999999999999', 'a'.repeat(5000))),
      fc.boolean(),
    ),
    { maxLength: 6 },
  )
  .map((pairs) => pairs.map(([name, value, rawEscape]) => `${encodeBytes(name)}=${rawEscape ? '%E0%A4%A' : encodeBytes(value)}`).join('&'));

/** Percent-encodes the UTF-8 bytes of a string; unlike encodeURIComponent it accepts lone surrogates. */
export function encodeBytes(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((b) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

export interface RawAnswer {
  status: number;
  contentType: string;
  text: string;
  headers: Headers;
  setCookies: string[];
  /** The body's bytes (binary answers such as zip exports). */
  raw: Buffer;
}

/**
 * Sends one request over node:http, which (unlike fetch) sends a body with GET, any raw path, and
 * streamed bodies. An event stream's body is not read (it never ends).
 */
export function send(url: string, method: string, init: { headers?: Record<string, string>; body?: string | Buffer | Iterable<Buffer> } = {}): Promise<RawAnswer> {
  const target = new URL(url);
  const body = init.body;
  // Framing stated explicitly: node:http frames no GET or DELETE body on its own.
  const framing = body === undefined ? {} : typeof body === 'string' || Buffer.isBuffer(body) ? { 'Content-Length': String(Buffer.byteLength(body)) } : { 'Transfer-Encoding': 'chunked' };
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: target.hostname, port: target.port, agent: false, method, path: url.slice(url.indexOf('/', url.indexOf('//') + 2)), headers: { ...init.headers, ...framing }, timeout: 20_000 },
      (response) => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(response.headers)) if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
        const contentType = headers.get('content-type') ?? '';
        const answer = (raw: Buffer) => ({ status: response.statusCode ?? 0, contentType, text: raw.toString('utf8'), raw, headers, setCookies: response.headers['set-cookie'] ?? [] });
        if (contentType.startsWith('text/event-stream')) {
          request.destroy();
          return resolve(answer(Buffer.alloc(0)));
        }
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve(answer(Buffer.concat(chunks))));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`${method} ${url}: no answer in 20 s`)));
    request.on('error', reject);
    if (body === undefined) request.end();
    else if (typeof body === 'string' || Buffer.isBuffer(body)) request.end(body);
    else {
      // Chunked transfer: no Content-Length, the server must count while it reads.
      for (const chunk of body) request.write(chunk);
      request.end();
    }
  });
}

/**
 * What a refusal must look like: 4xx, never 5xx; the body empty (FusionAuth documents empty 401/404
 * and friends) or FusionAuth's Errors JSON. HTML pages (the magic-link page) may answer with a page.
 */
export function refusalProblem(answer: RawAnswer, path: string): string | undefined {
  if (answer.status >= 500) return `status ${answer.status}: ${answer.text.slice(0, 300)}`;
  if (answer.status < 400 || answer.text === '') return undefined;
  if (!path.startsWith('/api/') && answer.contentType.startsWith('text/html')) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return `status ${answer.status} with a body that is not JSON: ${answer.text.slice(0, 200)}`;
  }
  if (!isErrorsJson(body)) return `status ${answer.status} with a body that is not Errors JSON: ${answer.text.slice(0, 300)}`;
  return undefined;
}

export function isErrorsJson(body: unknown): boolean {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const { fieldErrors, generalErrors, ...rest } = body as Record<string, unknown>;
  if (Object.keys(rest).length > 0 || (fieldErrors === undefined && generalErrors === undefined)) return false;
  const isError = (e: unknown) => typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' && typeof (e as { message?: unknown }).message === 'string';
  if (generalErrors !== undefined && !(Array.isArray(generalErrors) && generalErrors.every(isError))) return false;
  if (fieldErrors !== undefined) {
    if (typeof fieldErrors !== 'object' || fieldErrors === null) return false;
    for (const list of Object.values(fieldErrors)) if (!Array.isArray(list) || !list.every(isError)) return false;
  }
  return true;
}
