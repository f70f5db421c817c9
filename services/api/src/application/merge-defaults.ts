/** Deep-merges a client document over defaults: client values win, missing nested settings are filled. */
export function withDefaults<T extends Record<string, unknown>>(defaults: T, input: Record<string, unknown>): T & Record<string, unknown> {
  const result: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(input)) {
    // A JSON `__proto__` key would replace the result's prototype and give it inherited settings.
    if (key === '__proto__') continue;
    const base = result[key];
    result[key] = isPlain(base) && isPlain(value) ? withDefaults(base, value) : value;
  }
  return result as T & Record<string, unknown>;
}

function isPlain(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
