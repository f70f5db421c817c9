/**
 * Email templates in FusionAuth's shape (`defaultSubject`, `defaultHtmlTemplate`,
 * `defaultTextTemplate`, `localized*`, `fromEmail`, `defaultFromName`), the defaults shipped for each
 * transactional email, the choice of template (application `emailConfiguration`, then tenant
 * `emailConfiguration`, then the shipped default) and rendering in the recipient's language.
 */
import type { ConfigDocument } from '@idstream/domain';
import type { Logger } from '@idstream/platform';
import type { EmailKind } from '@idstream/reactors';
import type { ViewCollection } from '@idstream/views';
import { renderTemplate, type TemplateValues } from './email-template-engine.js';

export interface EmailTemplateDocument {
  id?: string;
  name?: string;
  defaultSubject: string;
  defaultHtmlTemplate: string;
  defaultTextTemplate: string;
  defaultFromName?: string;
  fromEmail?: string;
  localizedSubjects?: Record<string, string>;
  localizedHtmlTemplates?: Record<string, string>;
  localizedTextTemplates?: Record<string, string>;
  localizedFromNames?: Record<string, string>;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
  fromName?: string;
  fromEmail?: string;
}

/** The tenant/application `emailConfiguration` field naming each email's template (FusionAuth's names). */
export const templateIdFields: Record<EmailKind, string> = {
  verification: 'verificationEmailTemplateId',
  'setup-password': 'setPasswordEmailTemplateId',
  'forgot-password': 'forgotPasswordEmailTemplateId',
};

const greeting = '${user.firstName!user.fullName!user.username!user.email}';

/** Shipped defaults, used when neither the application nor the tenant names a template. */
export const defaultEmailTemplates: Record<EmailKind, EmailTemplateDocument> = {
  verification: {
    name: '[Idstream Default] Email Verification',
    defaultSubject: 'Verify your email address',
    defaultTextTemplate: `Hi ${greeting},\n\nPlease verify your email address with this verification id:\n\n\${verificationId}\n[#if verificationOneTimeCode??]Verification code: \${verificationOneTimeCode}[/#if]\nLink: \${baseUrl}/email/verify/\${verificationId}\n`,
    defaultHtmlTemplate: `<p>Hi ${greeting},</p><p>Please verify your email address: <a href="\${baseUrl}/email/verify/\${verificationId}">verify</a>.</p><p>Verification id: <code>\${verificationId}</code></p>[#if verificationOneTimeCode??]<p>Verification code: \${verificationOneTimeCode}</p>[/#if]`,
  },
  'setup-password': {
    name: '[Idstream Default] Setup Password',
    defaultSubject: 'Set up your password',
    defaultTextTemplate: `Hi ${greeting},\n\nAn account was created for you. Set your password with this id:\n\n\${changePasswordId}\n\nLink: \${baseUrl}/password/change/\${changePasswordId}\n`,
    defaultHtmlTemplate: `<p>Hi ${greeting},</p><p>An account was created for you. <a href="\${baseUrl}/password/change/\${changePasswordId}">Set your password</a>.</p><p>Id: <code>\${changePasswordId}</code></p>`,
  },
  'forgot-password': {
    name: '[Idstream Default] Forgot Password',
    defaultSubject: 'Reset your password',
    defaultTextTemplate: `Hi ${greeting},\n\nSomeone asked to reset your password. If it was you, use this id:\n\n\${changePasswordId}\n\nLink: \${baseUrl}/password/change/\${changePasswordId}\n`,
    defaultHtmlTemplate: `<p>Hi ${greeting},</p><p><a href="\${baseUrl}/password/change/\${changePasswordId}">Reset your password</a>.</p><p>Id: <code>\${changePasswordId}</code></p>`,
  },
};

/** The template id the application, else the tenant, configures for `kind` (undefined: the shipped default). */
export function configuredTemplateId(kind: EmailKind, tenant?: ConfigDocument, application?: ConfigDocument): string | undefined {
  const field = templateIdFields[kind];
  const of = (doc?: ConfigDocument) => {
    const value = (doc?.emailConfiguration as Record<string, unknown> | undefined)?.[field];
    return typeof value === 'string' && value !== '' ? value.toLowerCase() : undefined;
  };
  return of(application) ?? of(tenant);
}

/**
 * The configured template, or `fallback` (the shipped default) when none is configured. A configured
 * id that no longer exists (deleted template) also falls back rather than losing the email.
 */
export async function templateOrDefault(
  templates: ViewCollection<ConfigDocument>,
  id: string | undefined,
  fallback: EmailTemplateDocument,
  logger: Logger,
  context: { kind: string },
): Promise<EmailTemplateDocument> {
  if (!id) return fallback;
  const configured = (await templates.get(id))?.body as EmailTemplateDocument | undefined;
  if (configured) return configured;
  logger.warn({ templateId: id, ...context }, 'configured email template not found; sending the default');
  return fallback;
}

/** A user's `preferredLanguages`, which pick the localized parts of a template. */
export function languagesOf(user: object): string[] {
  const languages = (user as { preferredLanguages?: unknown }).preferredLanguages;
  return Array.isArray(languages) ? (languages as string[]) : [];
}

/**
 * Renders a template for a recipient whose `preferredLanguages` pick the localized parts (an exact
 * locale first, then its language: `fr_CA` falls back to `fr`). HTML bodies are escaped.
 */
export function renderEmail(template: EmailTemplateDocument, values: TemplateValues, preferredLanguages: string[] = []): RenderedEmail {
  const localized = (map: Record<string, string> | undefined, fallback: string) => pickLocale(map, preferredLanguages) ?? fallback;
  const fromName = localized(template.localizedFromNames, template.defaultFromName ?? '');
  return {
    subject: renderTemplate(localized(template.localizedSubjects, template.defaultSubject), values, { html: false }),
    text: renderTemplate(localized(template.localizedTextTemplates, template.defaultTextTemplate), values, { html: false }),
    html: renderTemplate(localized(template.localizedHtmlTemplates, template.defaultHtmlTemplate), values, { html: true }),
    ...(fromName && { fromName }),
    ...(template.fromEmail && { fromEmail: template.fromEmail }),
  };
}

function pickLocale(map: Record<string, string> | undefined, preferred: string[]): string | undefined {
  if (!map) return undefined;
  const keys = Object.keys(map);
  const norm = (l: string) => l.replace('-', '_').toLowerCase();
  for (const locale of preferred) {
    const exact = keys.find((k) => norm(k) === norm(locale));
    if (exact) return map[exact];
    const language = keys.find((k) => norm(k) === norm(locale).split('_')[0]);
    if (language) return map[language];
  }
  return undefined;
}
