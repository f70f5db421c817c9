/**
 * The default email templates (FusionAuth's transactional emails). A template is text with
 * `${name}` placeholders; values are HTML-escaped in the HTML part.
 */
import type { EmailKind } from '@idstream/reactors';

export interface EmailTemplate {
  subject: string;
  text: string;
  html: string;
}

export const defaultEmailTemplates: Record<EmailKind, EmailTemplate> = {
  verification: {
    subject: 'Verify your email address',
    text: 'Hi ${name},\n\nPlease verify your email address with this verification id:\n\n${verificationId}\n${codeLine}\nLink: ${baseUrl}/email/verify/${verificationId}\n',
    html: '<p>Hi ${name},</p><p>Please verify your email address: <a href="${baseUrl}/email/verify/${verificationId}">verify</a>.</p><p>Verification id: <code>${verificationId}</code></p><p>${codeLine}</p>',
  },
  'setup-password': {
    subject: 'Set up your password',
    text: 'Hi ${name},\n\nAn account was created for you. Set your password with this id:\n\n${changePasswordId}\n\nLink: ${baseUrl}/password/change/${changePasswordId}\n',
    html: '<p>Hi ${name},</p><p>An account was created for you. <a href="${baseUrl}/password/change/${changePasswordId}">Set your password</a>.</p><p>Id: <code>${changePasswordId}</code></p>',
  },
  'forgot-password': {
    subject: 'Reset your password',
    text: 'Hi ${name},\n\nSomeone asked to reset your password. If it was you, use this id:\n\n${changePasswordId}\n\nLink: ${baseUrl}/password/change/${changePasswordId}\n',
    html: '<p>Hi ${name},</p><p><a href="${baseUrl}/password/change/${changePasswordId}">Reset your password</a>.</p><p>Id: <code>${changePasswordId}</code></p>',
  },
};

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function render(template: EmailTemplate, values: Record<string, string>): EmailTemplate {
  const fill = (text: string, escape: boolean) => text.replace(/\$\{(\w+)\}/g, (_m, name: string) => (escape ? escapeHtml(values[name] ?? '') : (values[name] ?? '')));
  return { subject: fill(template.subject, false), text: fill(template.text, false), html: fill(template.html, true) };
}
