export * from './worker.js';
export * from './passwordless-email.js';
export * from './webhook-sender.js';
export { parseTemplate, renderTemplate, TemplateSyntaxError } from './email-template-engine.js';
export { defaultEmailTemplates, renderEmail, templateIdFields, type EmailTemplateDocument } from './email-templates.js';
export * from './from-config.js';
export { SMTP_CONNECTIONS } from './mail-delivery.js';
