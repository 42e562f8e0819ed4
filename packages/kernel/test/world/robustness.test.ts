/**
 * Bad input never crashes: seeded random syscalls with random arguments from
 * random processes either return (a value or -errno) or throw a typed
 * SyscallError; the world stays consistent (every live task findable by its pid).
 */
import seedrandom from 'seedrandom';
import { isBpfsimError } from '@bpfsim/uapi';
import { implementedSyscalls, type SysArg, type TaskStruct } from '../../src';
import { newKernel } from './helpers';

const ARGS: (() => SysArg)[] = [
  () => 0, () => 1, () => -1, () => 2, () => 3, () => -100, () => 0x7fffffff, () => 2 ** 40, () => 0x1000,
  () => 'a', () => '/tmp', () => '/tmp/x', () => '/proc/self/ns/uts', () => '/bin/sh', () => '', () => '/nope/../tmp/',
  () => new Uint8Array(16), () => ({ out: 64 }), () => ({ out: 256 }), () => ['sh', '-c'], () => 17, () => 0o644, () => 0o101,
  () => -1n, () => 1.5, () => ({ out: -1 }) as unknown as SysArg, () => [1, 2] as unknown as SysArg,
];

test('10,000 random syscalls: values or typed errors, never a crash', () => {
  const rnd = seedrandom('robust');
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)];
  const k = newKernel({ seed: 'robust' });
  const names = implementedSyscalls().filter((n) => !['vfork'].includes(n));
  const untyped: string[] = [];
  let typed = 0;
  const live = (): TaskStruct[] => k.world.allTasks().filter((t) => t.alive && !t.kthread && t.pid !== 0 && !t.blocked && t.state !== 'stopped' && t.mm);
  for (let i = 0; i < 10_000; i++) {
    let pool = live().filter((t) => t.pid !== 1);
    if (pool.length === 0) {
      // Random calls may have truncated /bin/sh: a fork of init needs no file.
      k.syscall(k.world.init, 'fork');
      pool = live().filter((t) => t.pid !== 1);
    }
    const t = pick(pool);
    const name = pick(names);
    const args = Array.from({ length: Math.floor(rnd() * 7) }, () => pick(ARGS)());
    try {
      const r = k.syscall(t, name, args);
      expect(Number.isSafeInteger(r.ret)).toBe(true);
    } catch (e) {
      if (isBpfsimError(e)) typed++;
      else untyped.push(`${name}(${args.map((a) => (typeof a === 'bigint' ? `${a}n` : JSON.stringify(a))).join(', ')}): ${(e as Error).stack?.split('\n').slice(0, 3).join(' | ')}`);
    }
    // Keep the world from filling up with processes.
    if (k.world.allTasks().length > 200) for (const x of live().filter((x) => x.pid > 100).slice(0, 50)) k.syscall(x, 'exit_group', [0]);
  }
  expect(untyped.slice(0, 10)).toEqual([]);
  expect(typed).toBeGreaterThan(0);
  for (const t of k.world.allTasks()) if (t.pid !== 0) expect(k.world.findTask(t.pid)).toBe(t);
});
