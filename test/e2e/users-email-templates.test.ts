/**
 * Email templates: FusionAuth's Email Template API through its client (create with and without id,
 * retrieve, list, update, patch, delete, 400s), and the templates the worker renders — tenant
 * `emailConfiguration.*EmailTemplateId`, the application's override, localized parts, FreeMarker
 * variables, HTML escaping — read from a real SMTP capture server on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { FusionAuthClient } from '@fusionauth/typescript-client';
import { failure, rawRequest, startTestService, type TestService } from '../support/harness.js';
import { startSmtpCapture, type SmtpCapture } from '../support/smtp-capture.js';

let svc: TestService;
let smtp: SmtpCapture;
let client: FusionAuthClient;
let tenantId: string;
const none = null as unknown as string;

beforeAll(async () => {
  smtp = await startSmtpCapture();
  svc = await startTestService({ env: { SMTP_HOST: smtp.host, SMTP_PORT: String(smtp.port) } });
  tenantId = (await svc.client.retrieveTenants()).response.tenants![0]!.id!;
  client = new FusionAuthClient(svc.apiKey, svc.url).setTenantId(tenantId);
});
afterAll(async () => {
  await svc?.destroy();
  await smtp?.close();
});

const template = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  defaultSubject: 'Reset for ${user.email}',
  defaultTextTemplate: 'Hello ${user.firstName!"friend"}, id: ${changePasswordId} [#if state??]state=${state.redirect!}[/#if]',
  defaultHtmlTemplate: '<p>Hello ${user.firstName!"friend"} from ${tenant.name}</p><a href="https://app.example/reset/${changePasswordId}">reset</a>',
  ...extra,
});

describe('Email Template API', () => {
  it('creates (with and without id), retrieves, lists, updates, patches and deletes', async () => {
    const created = await client.createEmailTemplate(none, { emailTemplate: template('generated id') as never });
    const generatedId = created.response.emailTemplate!.id!;
    expect(generatedId).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.response.emailTemplate).toMatchObject({ name: 'generated id', defaultSubject: 'Reset for ${user.email}', localizedSubjects: {} });

    const id = randomUUID();
    const withId = await client.createEmailTemplate(id, { emailTemplate: template('given id', { localizedSubjects: { fr: 'Réinitialiser ${user.email}' }, fromEmail: 'support@example.com', defaultFromName: 'Support' }) as never });
    expect(withId.response.emailTemplate?.id).toBe(id);
    expect((await client.retrieveEmailTemplate(id)).response.emailTemplate).toMatchObject({ name: 'given id', fromEmail: 'support@example.com', localizedSubjects: { fr: 'Réinitialiser ${user.email}' } });
    const listed = (await client.retrieveEmailTemplates()).response.emailTemplates!.map((t) => t.id);
    expect(listed).toEqual(expect.arrayContaining([id, generatedId]));

    const updated = await client.updateEmailTemplate(id, { emailTemplate: template('renamed') as never });
    expect(updated.response.emailTemplate).toMatchObject({ name: 'renamed' });
    expect(updated.response.emailTemplate?.fromEmail).toBeUndefined();
    const patched = await client.patchEmailTemplate(id, { emailTemplate: { defaultSubject: 'Patched ${user.email}' } } as never);
    expect(patched.response.emailTemplate).toMatchObject({ name: 'renamed', defaultSubject: 'Patched ${user.email}' });

    expect((await failure(client.createEmailTemplate(id, { emailTemplate: template('again') as never }))).statusCode).toBe(400);
    await client.deleteEmailTemplate(id);
    expect((await failure(client.retrieveEmailTemplate(id))).statusCode).toBe(404);
    expect((await failure(client.deleteEmailTemplate(id))).statusCode).toBe(404);
    await client.deleteEmailTemplate(generatedId);
  });

  it('refuses bad input with the Errors JSON: missing fields, wrong types, templates that do not parse, malformed JSON', async () => {
    const missing = await failure(client.createEmailTemplate(none, { emailTemplate: {} as never }));
    expect(missing.statusCode).toBe(400);
    expect(Object.keys(missing.exception.fieldErrors).sort()).toEqual(['emailTemplate.defaultHtmlTemplate', 'emailTemplate.defaultSubject', 'emailTemplate.defaultTextTemplate', 'emailTemplate.name']);
    expect(missing.exception.fieldErrors['emailTemplate.name'][0].code).toBe('[blank]emailTemplate.name');

    const broken = await failure(client.createEmailTemplate(none, { emailTemplate: template('broken', { defaultHtmlTemplate: '<p>[#if user.verified]never closed</p>', localizedTextTemplates: { de: 'Hallo ${user.firstName' } }) as never }));
    expect(broken.exception.fieldErrors['emailTemplate.defaultHtmlTemplate'][0].code).toBe('[invalidTemplate]emailTemplate.defaultHtmlTemplate');
    expect(broken.exception.fieldErrors['emailTemplate.localizedTextTemplates.de'][0].code).toBe('[invalidTemplate]emailTemplate.localizedTextTemplates.de');

    const types = await failure(client.createEmailTemplate(none, { emailTemplate: template('types', { defaultSubject: 42, localizedSubjects: ['x'], fromEmail: 'not an email' }) as never }));
    expect(Object.keys(types.exception.fieldErrors).sort()).toEqual(['emailTemplate.defaultSubject', 'emailTemplate.fromEmail', 'emailTemplate.localizedSubjects']);

    const url = `${svc.url}/api/email/template`;
    const malformed = await rawRequest(url, { method: 'POST', apiKey: svc.apiKey, headers: { 'Content-Type': 'application/json' }, body: '{"emailTemplate": {' });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toHaveProperty('generalErrors');
    expect((await rawRequest(url, { method: 'POST', apiKey: svc.apiKey, headers: { 'Content-Type': 'application/json' }, body: '[]' })).status).toBe(400);
    expect((await rawRequest(`${url}/not-a-uuid`, { apiKey: svc.apiKey })).status).toBe(404);
    expect((await rawRequest(url, {})).status).toBe(401);
  });
});

describe('templates the worker renders', () => {
  it('forgot password: the tenant template, the application override, localized parts, variables and HTML escaping', async () => {
    const tenantTemplate = randomUUID();
    await client.createEmailTemplate(tenantTemplate, { emailTemplate: template('tenant forgot', { localizedSubjects: { fr: 'Réinitialiser pour ${user.email}' }, defaultFromName: 'Tenant Team', fromEmail: 'team@example.com' }) as never });
    const appTemplate = randomUUID();
    await client.createEmailTemplate(appTemplate, {
      emailTemplate: template('app forgot', { defaultSubject: 'App ${application.name} reset', defaultTextTemplate: 'App text ${changePasswordId} for ${user.username!"nobody"}' }) as never,
    });
    const tenantName = `Tenant <&> ${randomUUID().slice(0, 6)}`;
    await client.patchTenant(tenantId, { tenant: { name: tenantName, emailConfiguration: { forgotPasswordEmailTemplateId: tenantTemplate } } } as never);
    const app = (await client.createApplication(none, { application: { name: `Shop ${randomUUID().slice(0, 6)}`, emailConfiguration: { forgotPasswordEmailTemplateId: appTemplate } } as never })).response.application!;

    const address = `tpl-${randomUUID()}@example.com`;
    const user = (await client.createUser(none, { user: { email: address, password: 'password-123', firstName: '<b>Ada & Co</b>' } })).response.user!;

    // 1. Tenant template: subject and text variables, HTML escaped in the HTML body only.
    await client.forgotPassword({ loginId: address, state: { redirect: '/after' } } as never);
    const mail = await smtp.waitFor((m) => m.to.includes(address) && m.subject === `Reset for ${address}`);
    const changePasswordId = /id: (\S+) /.exec(mail.text)![1]!;
    expect(mail.text).toContain('Hello <b>Ada & Co</b>, id: ');
    expect(mail.text).toContain('state=/after');
    expect(mail.html).toContain('Hello &#60;b&#62;Ada &#38; Co&#60;/b&#62; from Tenant &#60;&#38;&#62;');
    expect(mail.html).not.toContain('<b>Ada');
    expect(mail.html).toContain(`https://app.example/reset/${changePasswordId}`);
    expect(mail.raw.from?.value[0]).toMatchObject({ name: 'Tenant Team', address: 'team@example.com' });
    // The id in the email works.
    await client.changePassword(changePasswordId, { password: 'password-456' } as never);
    expect((await client.login({ loginId: address, password: 'password-456' })).statusCode).toBe(200);

    // 2. The application's template wins when the request names the application.
    await client.forgotPassword({ loginId: address, applicationId: app.id } as never);
    const appMail = await smtp.waitFor((m) => m.to.includes(address) && m.subject === `App ${app.name} reset`);
    expect(appMail.text).toMatch(/^App text \S{20,} for nobody$/);

    // 3. Localized subject for a user preferring French (fr_CA falls back to fr).
    await client.patchUser(user.id!, { user: { preferredLanguages: ['fr_CA'] } } as never);
    await client.forgotPassword({ loginId: address } as never);
    await smtp.waitFor((m) => m.to.includes(address) && m.subject === `Réinitialiser pour ${address}`);

    // 4. A deleted template falls back to the shipped default instead of losing the email.
    await client.deleteEmailTemplate(tenantTemplate);
    await client.forgotPassword({ loginId: address } as never);
    await smtp.waitFor((m) => m.to.includes(address) && m.subject === 'Reset your password');
    await client.patchTenant(tenantId, { tenant: { emailConfiguration: { forgotPasswordEmailTemplateId: null } } } as never);
  });

  it('verification and set-password templates from the tenant: ${verificationId} verifies, ${changePasswordId} sets the password', async () => {
    const verification = randomUUID();
    const setup = randomUUID();
    await client.createEmailTemplate(verification, { emailTemplate: { name: 'verify', defaultSubject: 'Confirm ${user.email}', defaultTextTemplate: 'Code=${verificationId};[#if verificationOneTimeCode??] otp=${verificationOneTimeCode}[/#if]', defaultHtmlTemplate: '<a href="https://x.example/v?id=${verificationId?url}">v</a>' } as never });
    await client.createEmailTemplate(setup, { emailTemplate: { name: 'setup', defaultSubject: 'Welcome ${user.firstName}', defaultTextTemplate: 'Set=${changePasswordId};', defaultHtmlTemplate: '<p>${changePasswordId}</p>' } as never });
    await client.patchTenant(tenantId, { tenant: { emailConfiguration: { verifyEmail: true, verificationEmailTemplateId: verification, setPasswordEmailTemplateId: setup } } } as never);
    try {
      const address = `verify-tpl-${randomUUID()}@example.com`;
      const user = (await client.createUser(none, { user: { email: address, password: 'password-123' } })).response.user!;
      const mail = await smtp.waitFor((m) => m.to.includes(address) && m.subject === `Confirm ${address}`);
      const verificationId = /Code=([^;]+);/.exec(mail.text)![1]!;
      expect(mail.html).toContain(`?id=${encodeURIComponent(verificationId)}`);
      await client.verifyEmailAddress({ verificationId } as never);
      expect((await client.retrieveUser(user.id!)).response.user?.verified).toBe(true);

      const invited = `setup-tpl-${randomUUID()}@example.com`;
      await client.createUser(none, { user: { email: invited, firstName: 'Grace' }, sendSetPasswordEmail: true } as never);
      const invite = await smtp.waitFor((m) => m.to.includes(invited) && m.subject === 'Welcome Grace');
      const setId = /Set=([^;]+);/.exec(invite.text)![1]!;
      await client.changePassword(setId, { password: 'chosen-password-1' } as never);
      expect((await client.login({ loginId: invited, password: 'chosen-password-1' })).statusCode).toBe(200);
    } finally {
      await client.patchTenant(tenantId, { tenant: { emailConfiguration: { verifyEmail: false, verificationEmailTemplateId: null, setPasswordEmailTemplateId: null } } } as never);
    }
  });
});
