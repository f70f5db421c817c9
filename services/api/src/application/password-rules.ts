import { FieldErrors } from '@idstream/domain';

export interface PasswordValidationRules {
  minLength?: number;
  maxLength?: number;
  requireMixedCase?: boolean;
  requireNonAlpha?: boolean;
  requireNumber?: boolean;
}

/** The tenant's password rules as FusionAuth reports them: `[rule]user.password` field errors. */
export function checkPassword(password: string, rules: PasswordValidationRules, errors: FieldErrors, field = 'user.password'): void {
  const min = rules.minLength ?? 8;
  const max = rules.maxLength ?? 256;
  if (password.length < min) errors.add(field, 'tooShort', `The password must be at least ${min} characters.`);
  if (password.length > max) errors.add(field, 'tooLong', `The password must be at most ${max} characters.`);
  if (rules.requireMixedCase && (password.toLowerCase() === password || password.toUpperCase() === password)) {
    errors.add(field, 'singleCase', 'The password must contain upper and lower case letters.');
  }
  if (rules.requireNumber && !/\d/.test(password)) errors.add(field, 'requireNumber', 'The password must contain a number.');
  if (rules.requireNonAlpha && !/[^\p{L}]/u.test(password)) errors.add(field, 'onlyAlpha', 'The password must contain a character that is not a letter.');
}
