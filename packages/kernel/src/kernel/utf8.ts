/** Shared UTF-8 coders: constructing a TextEncoder/TextDecoder per call costs more than the syscall it serves. */
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const utf8Encode = (s: string): Uint8Array => encoder.encode(s);

/** Decode bytes; pure ASCII (the usual path or name) takes a fast path. */
export function utf8Decode(b: Uint8Array): string {
  if (b.length < 64) {
    let ascii = true;
    for (let i = 0; i < b.length; i++) if (b[i] >= 0x80) { ascii = false; break; }
    if (ascii) return String.fromCharCode.apply(null, b as unknown as number[]);
  }
  return decoder.decode(b);
}
