/**
 * The `./0-9A-Za-z` alphabet of crypt(3)-family hashes (phpass, Drupal 7). Unlike RFC 4648 base64
 * it packs bytes little-endian into 6-bit groups, so it needs its own encoder.
 */
export const CRYPT64_ALPHABET = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

const CRYPT64_PATTERN = /^[./0-9A-Za-z]*$/;

/** phpass `encode64`: 3 bytes → 4 characters, a trailing partial group emits only the characters it fills. */
export function crypt64Encode(input: Uint8Array): string {
  let output = '';
  let i = 0;
  const count = input.length;
  while (i < count) {
    let value = input[i++]!;
    output += CRYPT64_ALPHABET[value & 0x3f];
    if (i < count) value |= input[i]! << 8;
    output += CRYPT64_ALPHABET[(value >> 6) & 0x3f];
    if (i++ >= count) break;
    if (i < count) value |= input[i]! << 16;
    output += CRYPT64_ALPHABET[(value >> 12) & 0x3f];
    if (i++ >= count) break;
    output += CRYPT64_ALPHABET[(value >> 18) & 0x3f];
  }
  return output;
}

/** Whether every character of `value` belongs to the crypt alphabet (bcrypt uses the same set, in another order). */
export function isCrypt64(value: string): boolean {
  return CRYPT64_PATTERN.test(value);
}
