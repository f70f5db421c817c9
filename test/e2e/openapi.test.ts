/**
 * The OpenAPI document: served at /api/openapi.json, generated from the routers (every registered
 * route has a described operation), schemas that compile, and the response validator that every
 * end-to-end suite runs behind (test/support/harness.ts) really rejects a response that
 * contradicts the document.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createApp } from '../../services/api/src/http/app.js';
import { registeredRoutes, undescribedRoutes } from '../../services/api/src/http/openapi/document.js';
import { rawRequest, startTestService, type TestService } from '../support/harness.js';
import { ResponseValidator } from '../support/openapi-validator.js';

let svc: TestService;
let document: any;
beforeAll(async () => {
  svc = await startTestService();
  document = (await rawRequest(`${svc.url}/api/openapi.json`)).body;
});
afterAll(async () => {
  await svc?.destroy();
});

describe('OpenAPI document', () => {
  it('is served publicly as OpenAPI 3.1', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.paths['/api/user/{userId}'].get.responses['200'].content['application/json'].schema).toBeDefined();
  });

  it('describes every route the routers register, and nothing else', () => {
    const app = createApp(svc.service.context, { ready: () => true, dependencies: async () => ({}) });
    const routes = registeredRoutes(app);
    expect(routes.length).toBeGreaterThan(100);
    // A route added without an entry in services/api/src/http/openapi/operations.ts fails here.
    expect(undescribedRoutes(routes)).toEqual([]);
    const documented = Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(routes.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('every response schema compiles and every operation has an id, a summary and responses', () => {
    const validator = new ResponseValidator(document);
    const ids = new Set<string>();
    for (const [path, ops] of Object.entries(document.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(op.summary, `${method} ${path}`).not.toBe('Undocumented operation');
        expect(ids.has(op.operationId)).toBe(false);
        ids.add(op.operationId);
        const concrete = path.replace(/\{[^}]+\}/g, 'x');
        // Checking an empty 200 body compiles the operation's schema (throws on a bad $ref).
        validator.check(method.toUpperCase(), concrete, 200, 'application/json', '{}');
      }
    }
  });
});

describe('response validation in the end-to-end suites', () => {
  it('the FusionAuth client talks through the validating proxy', async () => {
    const before = svc.openApi.checked;
    const created = await svc.client.createUser(null as unknown as string, { user: { email: `openapi-${randomUUID()}@example.com`, password: 'openapi-password-1' } });
    await svc.client.retrieveUser(created.response.user!.id!);
    expect(svc.openApi.checked).toBe(before + 2);
    expect(svc.openApi.violations).toEqual([]);
  });

  it('rejects responses that contradict the document', () => {
    const validator = new ResponseValidator(document);
    const id = randomUUID();
    const user = { id, tenantId: randomUUID(), email: 'a@example.com' };
    expect(validator.check('GET', `/api/user/${id}`, 200, 'application/json', JSON.stringify({ user }))).toEqual([]);
    // A password hash in a user, a wrong type, a missing wrapper, an undeclared body, an unknown path.
    expect(validator.check('GET', `/api/user/${id}`, 200, 'application/json', JSON.stringify({ user: { ...user, password: 'hash' } }))).toHaveLength(1);
    expect(validator.check('GET', `/api/user/${id}`, 200, 'application/json', JSON.stringify({ user: { ...user, active: 'yes' } }))).toHaveLength(1);
    expect(validator.check('GET', `/api/user/${id}`, 200, 'application/json', JSON.stringify(user))).toHaveLength(1);
    expect(validator.check('DELETE', `/api/user/${id}`, 200, 'application/json', '{"deleted":true}')).toHaveLength(1);
    expect(validator.check('GET', '/api/nothing-here', 200, 'application/json', '{}')).toHaveLength(1);
    expect(validator.check('POST', '/api/user', 400, 'application/json', JSON.stringify({ fieldErrors: { 'user.email': [{ code: '[blank]user.email' }] } }))).toHaveLength(1);
    // Literal paths win over templates: /api/user/search is not /api/user/{userId}.
    expect(validator.template('/api/user/search')).toBe('/api/user/search');
  });
});
