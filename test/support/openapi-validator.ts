/**
 * Validates every response the FusionAuth client receives against the service's own OpenAPI
 * document. The FusionAuth client uses node-fetch (not the global fetch), so validation sits in a
 * small HTTP proxy on loopback that the client talks to: it forwards each request unchanged,
 * checks the response (status declared, body matching its schema) and records any violation; the
 * harness fails the test run on stop when there is one.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { ValidateFunction } from 'ajv';

const Ajv2020 = ((Ajv2020Module as unknown as { default?: unknown }).default ?? Ajv2020Module) as typeof import('ajv/dist/2020.js').default;
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as typeof import('ajv-formats').default;

type OpenApi = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>; components: { schemas: Record<string, unknown> } };

export interface ValidatingProxy {
  url: string;
  violations: string[];
  /** Responses checked so far (a test that the proxy is really in the path). */
  checked: number;
  close(): Promise<void>;
}

export class ResponseValidator {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly compiled = new Map<unknown, ValidateFunction>();
  private readonly templates: { path: string; segments: string[] }[];

  constructor(private readonly document: OpenApi) {
    addFormats(this.ajv);
    const rewritten = JSON.parse(JSON.stringify(document.components).replaceAll('"#/components/', '"openapi.json#/components/'));
    this.ajv.addSchema({ $id: 'openapi.json', components: rewritten });
    this.templates = Object.keys(document.paths).map((path) => ({ path, segments: path.split('/') }));
  }

  /** The path template a concrete path matches; literal segments win over parameters. */
  template(pathname: string): string | undefined {
    // Express routes without strict routing: `/api/application/` is `/api/application`.
    const segments = (pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname).split('/');
    let best: { path: string; literals: number } | undefined;
    for (const t of this.templates) {
      if (t.segments.length !== segments.length) continue;
      let literals = 0;
      const matches = t.segments.every((s, i) => {
        if (/^\{.+\}$/.test(s)) return segments[i] !== '';
        literals++;
        return s === segments[i];
      });
      if (matches && (!best || literals > best.literals)) best = { path: t.path, literals };
    }
    return best?.path;
  }

  /** Problems with one response, or [] when it matches the document. */
  check(method: string, pathname: string, status: number, contentType: string | undefined, body: string): string[] {
    const where = `${method} ${pathname} → ${status}`;
    const path = this.template(pathname);
    if (!path) return [`${where}: path not in the OpenAPI document`];
    const operation = this.document.paths[path]![method.toLowerCase()];
    if (!operation) return [`${where}: method not in the OpenAPI document for ${path}`];
    const response = operation.responses[String(status)] ?? operation.responses.default;
    if (!response) return [`${where}: status not declared`];
    const content = response.content;
    if (!content) return body.length === 0 ? [] : [`${where}: declared without a body, got ${body.slice(0, 200)}`];
    const json = content['application/json'];
    if (!json) return [];
    if (body.length === 0) return status >= 200 && status < 300 ? [`${where}: declared with a JSON body, got none`] : [];
    if (!contentType?.includes('json')) return [`${where}: expected JSON, got ${contentType}`];
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return [`${where}: body is not JSON`];
    }
    let validate = this.compiled.get(json.schema);
    if (!validate) {
      const schema = JSON.parse(JSON.stringify(json.schema).replaceAll('"#/components/', '"openapi.json#/components/'));
      validate = this.ajv.compile(schema);
      this.compiled.set(json.schema, validate);
    }
    if (validate(parsed)) return [];
    return [`${where}: ${this.ajv.errorsText(validate.errors, { separator: '; ' })} in ${body.slice(0, 300)}`];
  }
}

/** A proxy in front of `target` validating every response against `target`'s /api/openapi.json. */
export async function startValidatingProxy(target: string): Promise<ValidatingProxy> {
  const document = (await (await fetch(`${target}/api/openapi.json`)).json()) as OpenApi;
  const validator = new ResponseValidator(document);
  const upstream = new URL(target);
  const state = { violations: [] as string[], checked: 0 };
  const server: Server = createServer((req, res) => {
    const forward = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          const body = Buffer.concat(chunks);
          const pathname = new URL(req.url ?? '/', target).pathname;
          state.checked++;
          state.violations.push(...validator.check(req.method ?? 'GET', pathname, answer.statusCode ?? 0, answer.headers['content-type'], body.toString('utf8')));
          const headers: IncomingHttpHeaders = { ...answer.headers, 'content-length': String(body.length) };
          delete headers['transfer-encoding'];
          res.writeHead(answer.statusCode ?? 502, headers).end(body);
        });
      },
    );
    forward.on('error', () => res.writeHead(502).end());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get violations() {
      return state.violations;
    },
    get checked() {
      return state.checked;
    },
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}
