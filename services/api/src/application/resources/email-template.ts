import { FieldErrors, type ConfigDocument } from '@idstream/domain';
import { parseTemplate, TemplateSyntaxError } from '@idstream/worker';
import type { ResourceDefinition } from './types.js';

const requiredTemplates = ['defaultSubject', 'defaultHtmlTemplate', 'defaultTextTemplate'] as const;
const localizedMaps = ['localizedSubjects', 'localizedHtmlTemplates', 'localizedTextTemplates', 'localizedFromNames'] as const;
const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * FusionAuth's Email Template API (`/api/email/template`): global objects, templates in the
 * FreeMarker subset the email worker renders. A template that does not parse is refused at write
 * time (`[invalidTemplate]`), so a bad template never silently drops an email later.
 */
export const emailTemplateResource: ResourceDefinition = {
  kind: 'EmailTemplate',
  path: '/api/email/template',
  field: 'emailTemplate',
  plural: 'emailTemplates',
  tenantScoped: false,
  async prepare(_ctx, input, id) {
    const errors = new FieldErrors();
    const field = (name: string) => `emailTemplate.${name}`;
    if (typeof input.name !== 'string' || input.name.trim() === '') errors.add(field('name'), 'blank', 'You must specify the [emailTemplate.name] property.');
    for (const name of requiredTemplates) {
      const value = input[name];
      if (value === undefined || value === null || value === '') errors.add(field(name), 'blank', `You must specify the [emailTemplate.${name}] property.`);
      else if (typeof value !== 'string') errors.add(field(name), 'couldNotConvert', `[emailTemplate.${name}] must be a string.`);
      else checkTemplate(value, field(name), errors);
    }
    for (const name of ['defaultFromName', 'fromEmail'] as const) {
      if (input[name] !== undefined && input[name] !== null && typeof input[name] !== 'string') errors.add(field(name), 'couldNotConvert', `[emailTemplate.${name}] must be a string.`);
    }
    if (typeof input.fromEmail === 'string' && input.fromEmail !== '' && !emailPattern.test(input.fromEmail)) errors.add(field('fromEmail'), 'invalid', `The email [${input.fromEmail}] is not a valid email address.`);
    for (const name of localizedMaps) {
      const value = input[name];
      if (value === undefined || value === null) continue;
      if (typeof value !== 'object' || Array.isArray(value) || !Object.values(value).every((v) => typeof v === 'string')) {
        errors.add(field(name), 'couldNotConvert', `[emailTemplate.${name}] must be an object of locale to string.`);
        continue;
      }
      if (name !== 'localizedFromNames') for (const [locale, text] of Object.entries(value as Record<string, string>)) checkTemplate(text, `${field(name)}.${locale}`, errors);
    }
    errors.throwIfAny();
    const document: ConfigDocument = { ...input, id };
    for (const name of localizedMaps) if (document[name] === undefined || document[name] === null) document[name] = {};
    return document;
  },
  present: (document) => document,
};

function checkTemplate(source: string, field: string, errors: FieldErrors): void {
  try {
    parseTemplate(source);
  } catch (error) {
    if (!(error instanceof TemplateSyntaxError)) throw error;
    errors.add(field, 'invalidTemplate', `[${field}] is not a valid template: ${error.message}.`);
  }
}
