/**
 * The syscall table is data taken from asm/unistd_64.h (plus the numbers v6.18 added after the
 * installed header): every number the host's header defines must be the table's, so a hand edit or
 * a stale regeneration cannot slip through. Skipped where the header is absent (no libc6-dev).
 */
import * as fs from 'fs';
import { SYSCALL_NAME_X86_64, SYSCALL_NR_X86_64 } from '../../src/syscalls/table';

const HEADER = '/usr/include/x86_64-linux-gnu/asm/unistd_64.h';
const have = fs.existsSync(HEADER);
if (!have) console.log(`syscall table check skipped: no ${HEADER}`);

(have ? test : test.skip)('every __NR_ of asm/unistd_64.h has the same number in the table', () => {
  const defined = [...fs.readFileSync(HEADER, 'utf8').matchAll(/^#define __NR_(\w+) (\d+)$/gm)].map((m) => [m[1], Number(m[2])] as const);
  expect(defined.length).toBeGreaterThan(300);
  const wrong = defined.filter(([name, nr]) => SYSCALL_NR_X86_64[name] !== nr).map(([name, nr]) => `${name}: header ${nr}, table ${SYSCALL_NR_X86_64[name]}`);
  expect(wrong).toEqual([]);
});

test('numbers and names map one to one', () => {
  expect(SYSCALL_NAME_X86_64.size).toBe(Object.keys(SYSCALL_NR_X86_64).length);
  for (const [name, nr] of Object.entries(SYSCALL_NR_X86_64)) expect(SYSCALL_NAME_X86_64.get(nr)).toBe(name);
});
