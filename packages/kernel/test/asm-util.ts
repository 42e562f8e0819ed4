/** Small builders for test programs in kernel assembler syntax. */

/** Store a NUL-terminated string on the stack ending at r10 - `top`; returns [asm, offset of its start]. */
export function stackString(s: string, top = 0): [string, number] {
  const bytes = Buffer.from(s + '\0', 'latin1');
  const len = Math.ceil(bytes.length / 4) * 4;
  const buf = Buffer.alloc(len);
  bytes.copy(buf);
  const start = -(top + len);
  const lines: string[] = [];
  for (let i = 0; i < len; i += 4) lines.push(`*(u32 *)(r10 ${start + i < 0 ? '-' : '+'} ${Math.abs(start + i)}) = ${buf.readInt32LE(i)}`);
  return [lines.join('\n'), start];
}
