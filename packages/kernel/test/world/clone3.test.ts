/**
 * clone3(2) argument checks against the kernel: fixtures/clone3-cases.json
 * holds what Linux answered for each case (fixtures/clone3-gen.c); the model
 * builds the same struct clone_args in the caller's memory.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { CLONE, SIG, WAIT } from '../../src';
import { newKernel, spawn } from './helpers';

const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures/clone3-cases.json'), 'utf8')) as { kernel: string; cases: [string, number][] };

interface Case {
  flags?: bigint;
  exitSignal?: bigint;
  stack?: bigint;
  stackSize?: bigint;
  setTid?: number[];
  setTidPtr?: 'none' | 'given';
  setTidSize?: bigint;
  size?: number;
  tail?: boolean;
}
const S = BigInt(SIG.SIGCHLD);
const CASES: Record<string, Case> = {
  'size 0': { size: 0 },
  'size 63': { size: 63 },
  'size 64': { size: 64 },
  'size 4097': { size: 4097 },
  'size 96 with a non-zero tail': { size: 96, tail: true },
  'exit_signal 65': { exitSignal: 65n },
  'exit_signal beyond CSIGNAL': { exitSignal: 0x111n },
  'thread with an exit signal': { flags: BigInt(CLONE.THREAD | CLONE.SIGHAND | CLONE.VM) },
  'CLONE_PARENT with an exit signal': { flags: BigInt(CLONE.PARENT) },
  CLONE_DETACHED: { flags: BigInt(CLONE.DETACHED) },
  'CSIGNAL bits in flags': { flags: 0x11n },
  'unknown flag bit 40': { flags: 1n << 40n },
  'CLONE_SIGHAND|CLONE_CLEAR_SIGHAND': { flags: BigInt(CLONE.SIGHAND | CLONE.VM) | 0x1_0000_0000n },
  CLONE_CLEAR_SIGHAND: { flags: 0x1_0000_0000n },
  'CLONE_INTO_CGROUP in a VER0 struct': { flags: 0x2_0000_0000n, size: 64 },
  'stack without a size': { stack: 0x1000n },
  'stack size without a stack': { stackSize: 4096n },
  'set_tid_size without set_tid': { setTidSize: 1n, setTidPtr: 'none' },
  'set_tid without a size': { setTid: [1], setTidSize: 0n },
  'set_tid_size 33': { setTid: [1], setTidSize: 33n },
  'set_tid deeper than the namespaces': { setTid: [7777, 7778] },
  'set_tid of a pid in use': { setTid: [1] },
  'set_tid at pid_max': { setTid: [32768] },
  'set_tid of a free pid': { setTid: [7777] },
  'new pid and uts namespaces': { flags: BigInt(CLONE.NEWPID | CLONE.NEWUTS) },
};

test(`clone3 accepts and refuses what the kernel does (${fixture.kernel})`, () => {
  const k = newKernel({ seed: 'clone3', cpus: 2 });
  const sh = spawn(k);
  const mem = k.syscall(sh, 'mmap', [0, 16384, 3, 0x22, -1, 0]).ret;
  const got: [string, number][] = [];
  for (const [name] of fixture.cases) {
    const c = CASES[name];
    if (!c) throw new Error(`no model case for "${name}"`);
    const size = c.size ?? 88;
    const buf = new Uint8Array(8192);
    const dv = new DataView(buf.buffer);
    let setTidAddr = 0n;
    if (c.setTid) {
      const tids = new Uint8Array(c.setTid.length * 4);
      c.setTid.forEach((t, i) => new DataView(tids.buffer).setInt32(i * 4, t, true));
      setTidAddr = BigInt(mem + 8192);
      k.mem.write(setTidAddr, tids);
    }
    const fields = [c.flags ?? 0n, 0n, 0n, 0n, c.exitSignal ?? S, c.stack ?? 0n, c.stackSize ?? 0n, 0n, c.setTidPtr === 'none' ? 0n : setTidAddr, c.setTidSize ?? BigInt(c.setTid?.length ?? 0), 0n];
    fields.forEach((v, i) => dv.setBigUint64(i * 8, v, true));
    if (c.tail) buf[90] = 1;
    k.mem.write(BigInt(mem), buf.subarray(0, Math.min(size, 8192)));
    const r = k.syscall(sh, 'clone3', [mem, size]);
    got.push([name, r.ret < 0 ? -r.ret : 0]);
    if (r.child) {
      if (name === 'set_tid of a free pid') expect(r.child.pid).toBe(7777);
      k.syscall(r.child, 'exit', [0]);
      k.syscall(sh, 'wait4', [r.ret, 0, WAIT.ALL, 0]);
    }
  }
  expect(got).toEqual(fixture.cases);
});

test('set_tid needs CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN (EPERM)', () => {
  const k = newKernel();
  const sh = spawn(k);
  k.syscall(sh, 'setuid', [1000]);
  const mem = k.syscall(sh, 'mmap', [0, 4096, 3, 0x22, -1, 0]).ret;
  const buf = new Uint8Array(88);
  const dv = new DataView(buf.buffer);
  dv.setBigUint64(32, 17n, true);
  dv.setBigUint64(64, BigInt(mem + 1024), true);
  dv.setBigUint64(72, 1n, true);
  k.mem.write(BigInt(mem), buf);
  k.mem.write(BigInt(mem + 1024), new Uint8Array([0x61, 0x1e, 0, 0]));
  expect(k.syscall(sh, 'clone3', [mem, 88]).ret).toBe(-1);
});
