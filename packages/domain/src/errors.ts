/**
 * Domain errors carry FusionAuth's error vocabulary (`[rule]field` codes) so that the HTTP edge maps
 * them once, without knowing any business rule.
 */
export interface FieldError {
  code: string;
  message: string;
}

export interface ErrorsBody {
  fieldErrors?: Record<string, FieldError[]>;
  generalErrors?: FieldError[];
}

/** Invalid input: HTTP 400 with the Errors JSON. */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  constructor(readonly errors: ErrorsBody) {
    super(describe(errors));
  }

  static field(field: string, rule: string, message: string): ValidationError {
    return new ValidationError({ fieldErrors: { [field]: [{ code: `[${rule}]${field}`, message }] } });
  }

  static general(code: string, message: string): ValidationError {
    return new ValidationError({ generalErrors: [{ code, message }] });
  }
}

/** Collects field errors while validating a whole request, so a client sees every problem at once. */
export class FieldErrors {
  private readonly errors: Record<string, FieldError[]> = {};

  add(field: string, rule: string, message: string): this {
    (this.errors[field] ??= []).push({ code: `[${rule}]${field}`, message });
    return this;
  }

  get empty(): boolean {
    return Object.keys(this.errors).length === 0;
  }

  throwIfAny(): void {
    if (!this.empty) throw new ValidationError({ fieldErrors: this.errors });
  }
}

/** The addressed object does not exist: HTTP 404 with an empty body. */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}

/** The command conflicts with current state in a way FusionAuth reports as a 409/400 general error. */
export class ConflictError extends Error {
  override readonly name = 'ConflictError';
}

function describe(errors: ErrorsBody): string {
  const codes = [
    ...Object.values(errors.fieldErrors ?? {}).flatMap((list) => list.map((e) => e.code)),
    ...(errors.generalErrors ?? []).map((e) => e.code),
  ];
  return codes.join(', ') || 'validation failed';
}
