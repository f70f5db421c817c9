import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SecretBox } from '../src/secret-box.js';

describe('SecretBox.digest', () => {
  const master = randomBytes(32);

  it('is a stable 64-hex-digit HMAC per master key and purpose, unlike the unkeyed SHA-256', () => {
    const box = new SecretBox(master);
    const digest = box.digest('passwordless-code-stream', '123456');
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    expect(new SecretBox(Uint8Array.from(master)).digest('passwordless-code-stream', '123456')).toBe(digest);
    expect(digest).not.toBe(createHash('sha256').update('123456').digest('hex'));
    expect(box.digest('another-purpose', '123456')).not.toBe(digest);
    expect(new SecretBox(randomBytes(32)).digest('passwordless-code-stream', '123456')).not.toBe(digest);
    expect(box.digest('passwordless-code-stream', '123457')).not.toBe(digest);
  });

  it('refuses an empty purpose', () => {
    expect(() => new SecretBox(master).digest('', 'x')).toThrow(RangeError);
  });
});
