export interface IterateArgs {
  algorithm: 'md5' | 'sha256' | 'sha512';
  value: Uint8Array;
  suffix?: Uint8Array;
  rounds: number;
}
export function iterate(args: IterateArgs): Buffer;
export function bcryptHash(args: { password: string; setting: string }): string;
