/**
 * The bpf() layer and the kernel API without the kernel oracle: syscall
 * dispatch and errnos, load-time refusal of unimplemented helpers, bpffs,
 * links and hooks, helper overrides, and helpers whose results bpfsim
 * defines (current task, time, stacks, ring buffer and perf output, tail calls, bpf_loop).
 */
import fc from 'fast-check';
import { assemble } from '@bpfsim/isa';
import { BpfMapType, Errno } from '@bpfsim/uapi';
import {
  HELPERS, failFromCall, failRandomly, helperId, ptRegs, rawTracepointArgs, returnSequence, shiftBy, testRunProgram, type Kernel,
} from '@bpfsim/kernel';
import { newKernel, u32le, u64le } from './kit';

const XDP = 6, KPROBE = 2, RAW_TP = 17;
const asm = (t: string) => assemble(t, { dialect: 'kernel' });

function load(k: Kernel, text: string, type = XDP, name = 't'): number {
  const r = k.bpf.progLoad({ progType: type, insns: asm(text), license: 'GPL', name });
  if (r.fd < 0) throw new Error(`load: ${r.fd} ${r.error}\n${r.log}`);
  return r.fd;
}
/** Attach to a private hook and fire it once with zeroed pt_regs: how non-test-runnable types run. */
function fire(k: Kernel, fd: number): bigint {
  const hook = `test-hook-${fd}`;
  const link = k.bpf.linkCreate({ progFd: fd, hook });
  const r0 = k.hooks.fire(hook, () => ({ ctx: { bytes: ptRegs({}) } }))[0].r0;
  k.bpf.linkDetach(link);
  return r0;
}
function run(k: Kernel, fd: number, dataIn = new Uint8Array(64)): bigint {
  const r = k.bpf.progTestRun(fd, { dataIn, dataSizeOut: 0 });
  if (typeof r === 'number' || r.ret) throw new Error(`test run: ${typeof r === 'number' ? r : r.ret}`);
  return r.r0;
}

describe('bpf(cmd, attr)', () => {
  test('commands by name and number; errno results', () => {
    const k = newKernel();
    const fd = k.bpfSyscall('MAP_CREATE', { type: BpfMapType.HASH, keySize: 4, valueSize: 8, maxEntries: 2, name: 'h' }).ret;
    expect(fd).toBe(3);
    expect(k.bpfSyscall(2, { mapFd: fd, key: u32le(1), value: u64le(5n), flags: 0 }).ret).toBe(0);
    expect(k.bpfSyscall('MAP_UPDATE_ELEM', { mapFd: fd, key: u32le(1), value: u64le(6n), flags: 1 }).ret).toBe(-Errno.EEXIST);
    expect(k.bpfSyscall('MAP_UPDATE_ELEM', { mapFd: fd, key: u32le(2), value: u64le(6n), flags: 2 }).ret).toBe(-Errno.ENOENT);
    expect(k.bpfSyscall('MAP_UPDATE_ELEM', { mapFd: fd, key: u32le(2), value: u64le(6n) }).ret).toBe(0);
    expect(k.bpfSyscall('MAP_UPDATE_ELEM', { mapFd: fd, key: u32le(3), value: u64le(6n) }).ret).toBe(-Errno.E2BIG);
    expect(Buffer.from(k.bpfSyscall('MAP_LOOKUP_ELEM', { mapFd: fd, key: u32le(1) }).value!).readBigUInt64LE()).toBe(5n);
    expect(k.bpfSyscall('MAP_LOOKUP_ELEM', { mapFd: 99, key: u32le(1) }).ret).toBe(-Errno.EBADF);
    expect(k.bpfSyscall('MAP_DELETE_ELEM', { mapFd: fd, key: u32le(7) }).ret).toBe(-Errno.ENOENT);
    expect(k.bpfSyscall(4, { mapFd: fd, key: null }).key).toBeDefined();
    expect(k.bpfSyscall(9999, {} as never).ret).toBe(-Errno.EINVAL);
    const b = k.bpfSyscall('MAP_LOOKUP_BATCH', { mapFd: fd, inBatch: null, count: 10 });
    expect(b.count).toBe(2);
    expect(k.bpfSyscall('MAP_GET_FD_BY_ID', { id: 1 }).ret).toBe(4);
    expect(k.bpfSyscall('MAP_GET_FD_BY_ID', { id: 77 }).ret).toBe(-Errno.ENOENT);
  });

  test('PROG_LOAD: bad fds, names and empty programs are refused with the kernel errnos', () => {
    const k = newKernel();
    expect(k.bpf.progLoad({ progType: XDP, insns: [], license: 'GPL' }).fd).toBe(-Errno.EINVAL);
    expect(k.bpf.progLoad({ progType: XDP, insns: asm('r0 = 0\nexit'), license: 'GPL', name: 'bad name!' }).fd).toBe(-Errno.EINVAL);
    expect(k.bpf.progLoad({ progType: XDP, insns: asm('r0 = 0\nexit'), license: 'GPL', name: 'x'.repeat(16) }).fd).toBe(-Errno.EINVAL);
    const r = k.bpf.progLoad({ progType: XDP, insns: asm('r1 = map[id:42]\nr0 = 0\nexit'), license: 'GPL' });
    expect(r.fd).toBe(-Errno.EBADF);
    expect(r.log).toBe('fd 42 is not pointing to valid bpf_map\n');
  });

  test('a helper bpfsim does not implement is refused at load time, in the log', () => {
    const k = newKernel();
    // bpf_skb_cgroup_id (79) is a tc helper the kernel allows and bpfsim does not model.
    const r = k.bpf.progLoad({ progType: 3, insns: asm('r6 = r1\ncall 79\nexit'), license: 'GPL', name: 'c' });
    expect(r.fd).toBe(-Errno.EINVAL);
    expect(r.error).toBe('1: bpfsim does not implement helper bpf_skb_cgroup_id#79');
    expect(r.log.trimEnd().split('\n').at(-1)).toBe(r.error);
    expect(() => testRunProgram({ insns: asm('r6 = r1\ncall 79\nexit'), progType: 3, dataIn: new Uint8Array(20) })).toThrow(/bpfsim does not implement helper bpf_skb_cgroup_id#79/);
  });
});

describe('bpffs, links and hooks', () => {
  test('pin and get under /sys/fs/bpf', () => {
    const k = newKernel();
    const fd = k.bpf.mapCreate({ type: BpfMapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    expect(k.bpf.objPin(fd, '/sys/fs/bpf/m')).toBe(0);
    expect(k.bpf.objPin(fd, '/sys/fs/bpf/m')).toBe(-Errno.EEXIST);
    expect(k.bpf.objPin(fd, '/sys/fs/bpf/dir/m')).toBe(-Errno.ENOENT);
    expect(k.bpf.fs.mkdir('/sys/fs/bpf/dir')).toBe(0);
    expect(k.bpf.objPin(fd, '/sys/fs/bpf/dir/m')).toBe(0);
    expect(k.bpf.objPin(fd, '/tmp/m')).toBe(-Errno.EPERM);
    expect(k.bpf.objPin(77, '/sys/fs/bpf/x')).toBe(-Errno.EBADF);
    const fd2 = k.bpf.objGet('/sys/fs/bpf/dir/../m');
    expect(k.bpf.mapByFd(fd2)).toBe(k.bpf.mapByFd(fd));
    expect(k.bpf.objGet('/sys/fs/bpf/nope')).toBe(-Errno.ENOENT);
    expect(k.bpf.fs.unlink('/sys/fs/bpf/dir')).toBe(-Errno.ENOTEMPTY);
    expect(k.bpf.fs.list()).toEqual(['/sys/fs/bpf/dir/m', '/sys/fs/bpf/m']);
  });

  test('attach, fire in attach order with each link cookie, detach', () => {
    const k = newKernel();
    const a = load(k, 'call bpf_get_attach_cookie\nexit', KPROBE, 'a');
    const b = load(k, 'r0 = 7\nexit', KPROBE, 'b');
    const la = k.bpf.linkCreate({ progFd: a, hook: 'kprobe/do_sys_openat2', cookie: 42n });
    const lb = k.bpf.linkCreate({ progFd: b, hook: 'kprobe/do_sys_openat2' });
    const fire = () => k.hooks.fire('kprobe/do_sys_openat2', () => ({ ctx: { bytes: ptRegs({ di: 1n }) } })).map((r) => r.r0);
    expect(fire()).toEqual([42n, 7n]);
    expect(k.bpf.linkDetach(la)).toBe(0);
    expect(k.bpf.linkDetach(la)).toBe(-67);
    expect(fire()).toEqual([7n]);
    expect(k.bpf.linkDetach(lb)).toBe(0);
    expect(fire()).toEqual([]);
    expect(k.trace.records.filter((r) => r.kind === 'attach' || r.kind === 'detach').map((r) => r.kind)).toEqual(['attach', 'attach', 'detach', 'detach']);
  });
});

describe('helper overrides (seeded fault injection)', () => {
  test('prandom returns a given sequence, then the seeded stream again', () => {
    const k = newKernel({ seed: 3 });
    const fd = load(k, 'call bpf_get_prandom_u32\nexit');
    k.helpers.set('bpf_get_prandom_u32', returnSequence([5n, 6n]));
    expect([run(k, fd), run(k, fd)]).toEqual([5n, 6n]);
    const third = run(k, fd);
    const ref = newKernel({ seed: 3 }).rng.stream('prandom').u32();
    expect(third).toBe(BigInt(ref));
  });

  test('map updates fail with -ENOMEM from the 3rd call; ktime jumps', () => {
    const k = newKernel();
    const m = k.bpf.mapCreate({ type: BpfMapType.HASH, keySize: 4, valueSize: 8, maxEntries: 16 });
    const fd = load(k, `*(u32 *)(r10 - 4) = 1\n*(u64 *)(r10 - 16) = 2\nr1 = map[id:${m}]\nr2 = r10\nr2 += -4\nr3 = r10\nr3 += -16\nr4 = 0\ncall bpf_map_update_elem\nexit`);
    const restore = k.helpers.set('bpf_map_update_elem', failFromCall(3, Errno.ENOMEM));
    const got = [1, 2, 3, 4].map(() => BigInt.asIntN(64, run(k, fd)));
    expect(got).toEqual([0n, 0n, -12n, -12n]);
    restore();
    expect(run(k, fd)).toBe(0n);
    const t = load(k, 'call bpf_ktime_get_ns\nexit');
    k.helpers.set('bpf_ktime_get_ns', shiftBy(3_000_000_000n));
    const now = k.clock.monotonicNs;
    expect(run(k, t)).toBe(now + 3_000_000_000n);
  });

  test('random faults are the same for the same seed', () => {
    fc.assert(fc.property(fc.integer(), (seed) => {
      const outcome = () => {
        const k = newKernel({ seed });
        const fd = load(k, 'call bpf_get_smp_processor_id\nexit');
        k.helpers.set('bpf_get_smp_processor_id', failRandomly(0.5, Errno.EIO));
        return Array.from({ length: 20 }, () => run(k, fd)).join(',');
      };
      expect(outcome()).toBe(outcome());
    }), { numRuns: 10, seed: 11 });
  });
});

describe('helpers with bpfsim-defined results', () => {
  test('current task helpers read the task model', () => {
    const k = newKernel({ task: { pid: 4321, tgid: 4300, uid: 1000, gid: 100, comm: 'a-very-long-command-name', cgroupId: 99n, cgroupAncestors: [1n, 50n, 99n] } });
    expect(run(k, load(k, 'call bpf_get_current_pid_tgid\nexit'))).toBe((4300n << 32n) | 4321n);
    expect(run(k, load(k, 'call bpf_get_current_uid_gid\nexit'))).toBe((100n << 32n) | 1000n);
    expect(fire(k, load(k, 'call bpf_get_current_cgroup_id\nexit', KPROBE))).toBe(99n);
    expect(fire(k, load(k, 'r1 = 1\ncall bpf_get_current_ancestor_cgroup_id\nexit', KPROBE))).toBe(50n);
    expect(fire(k, load(k, 'r1 = 5\ncall bpf_get_current_ancestor_cgroup_id\nexit', KPROBE))).toBe(0n);
    // comm: 15 bytes and a NUL in 16, the last 8 bytes read back as a u64
    const comm = load(k, 'r1 = r10\nr1 += -16\nr2 = 16\ncall bpf_get_current_comm\nr0 = *(u64 *)(r10 - 8)\nexit', KPROBE);
    expect(Buffer.from(u64le(fire(k, comm))).toString('latin1')).toBe('ong-com\0');
  });

  test('raw tracepoint and kprobe contexts given as bytes', () => {
    const r = testRunProgram({ insns: asm('r0 = *(u64 *)(r1 + 8)\nexit'), progType: RAW_TP, ctxIn: rawTracepointArgs([1n, 0xdeadn]) });
    expect(r.r0).toBe(0xdeadn);
    expect(r.duration).toBe(0);
    const k = testRunProgram({ insns: asm('r0 = *(u64 *)(r1 + 112)\nexit'), progType: KPROBE, ctxIn: ptRegs({ di: 77n }) });
    expect(k.r0).toBe(77n);
    expect(() => testRunProgram({ insns: asm('r0 = 0\nexit'), progType: KPROBE })).toThrow(/has no kernel test run: give its context as bytes/);
    const k2 = newKernel();
    const fd = load(k2, 'r0 = 0\nexit', KPROBE);
    expect(k2.bpf.progTestRun(fd, { ctxIn: ptRegs({}) })).toMatchObject({ ret: -Errno.ENOTSUPP });
    const rt = load(k2, 'r0 = 0\nexit', RAW_TP);
    expect(k2.bpf.progTestRun(rt, { ctxIn: new Uint8Array(8), repeat: 2 })).toMatchObject({ ret: -Errno.EINVAL });
    expect(k2.bpf.progTestRun(rt, { ctxIn: new Uint8Array(13 * 8) })).toMatchObject({ ret: -Errno.EINVAL });
    expect(k2.bpf.progTestRun(rt, { ctxIn: new Uint8Array(8), cpu: 1 })).toMatchObject({ ret: -Errno.EINVAL });
    expect(k2.bpf.progTestRun(rt, { ctxIn: new Uint8Array(8), cpu: 2, flags: 1 })).toMatchObject({ ret: 0, cpu: 2 });
    expect(k2.bpf.progTestRun(rt, { ctxIn: new Uint8Array(8), cpu: 99, flags: 1 })).toMatchObject({ ret: -Errno.ENXIO });
  });

  test('bpf_get_stack copies the current task stack; bad sizes clear and fail', () => {
    const k = newKernel();
    const direct = (text: string) => fire(k, load(k, text, KPROBE, 's'));
    const got = direct('r2 = r10\nr2 += -24\nr3 = 24\nr4 = 0\ncall bpf_get_stack\nr1 = *(u64 *)(r10 - 24)\nr0 <<= 56\nr0 ^= r1\nexit');
    expect(got).toBe((24n << 56n) ^ k.current.kernelStack[0]);
    expect(BigInt.asIntN(64, direct('r2 = r10\nr2 += -24\nr3 = 20\nr4 = 0\ncall bpf_get_stack\nexit'))).toBe(-22n);
    expect(BigInt.asIntN(64, direct('r2 = r10\nr2 += -24\nr3 = 24\nr4 = 9\ncall bpf_get_stack\nexit'))).toBe(-14n);
    // user stack, skipping one frame
    expect(direct('r2 = r10\nr2 += -8\nr3 = 8\nr4 = 0x101\ncall bpf_get_stack\nr0 = *(u64 *)(r10 - 8)\nexit')).toBe(k.current.userStack[1]);
  });

  test('bpf_get_stackid stores the stack in a STACK_TRACE map under a stable id', () => {
    const k = newKernel();
    const st = k.bpf.mapCreate({ type: BpfMapType.STACK_TRACE, keySize: 4, valueSize: 64, maxEntries: 128 });
    const fd = load(k, `r2 = map[id:${st}]\nr3 = 0\ncall bpf_get_stackid\nexit`, KPROBE);
    const id = fire(k, fd);
    expect(BigInt.asIntN(64, id)).toBeGreaterThanOrEqual(0n);
    expect(fire(k, fd)).toBe(id);
    const v = k.bpf.mapLookupElem(st, u32le(Number(id)));
    if (typeof v === 'number') throw new Error(`lookup ${v}`);
    const dv = new DataView(v.buffer, v.byteOffset);
    expect(k.current.kernelStack.map((_, i) => dv.getBigUint64(i * 8, true))).toEqual(k.current.kernelStack);
    // A different stack landing in an occupied bucket is EEXIST without BPF_F_REUSE_STACKID.
    const user = load(k, `r2 = map[id:${st}]\nr3 = 0x100\ncall bpf_get_stackid\nexit`, KPROBE);
    const uid = fire(k, user);
    expect(uid === id ? -17n : BigInt.asIntN(64, uid) >= 0n).toBeTruthy();
  });

  test('perf_event_output: ENOENT until user space opens an event on the CPU, then recorded', () => {
    const k = newKernel({ cpus: 2 });
    const pa = k.bpf.mapCreate({ type: BpfMapType.PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2, name: 'events' });
    const fd = load(k, `r6 = r1\n*(u32 *)(r10 - 4) = 0x99\nr1 = r6\nr2 = map[id:${pa}]\nr3 = 0xffffffff ll\nr4 = r10\nr4 += -4\nr5 = 4\ncall bpf_perf_event_output\nexit`);
    const pin = (cpu: number) => {
      const r = k.bpf.progTestRun(fd, { dataIn: new Uint8Array(20) });
      void cpu;
      return typeof r === 'number' ? r : BigInt.asIntN(64, r.r0);
    };
    expect(pin(0)).toBe(-2n);
    for (let cpu = 0; cpu < 2; cpu++) expect(k.bpf.mapUpdateElem(pa, u32le(cpu), u32le(k.bpf.perfEventOpen(cpu)))).toBe(0);
    expect(pin(0)).toBe(0n);
    const rec = k.trace.of('perf_event');
    expect(rec).toHaveLength(1);
    expect(rec[0]).toMatchObject({ map: 'events', data: '99000000', index: rec[0].cpu });
  });

  test('ring buffer output and reserve/submit land in the map and the trace', () => {
    const k = newKernel();
    const rb = k.bpf.mapCreate({ type: BpfMapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096, name: 'rb' });
    const fd = load(k, `*(u64 *)(r10 - 8) = 0x1234\nr1 = map[id:${rb}]\nr2 = r10\nr2 += -8\nr3 = 8\nr4 = 0\ncall bpf_ringbuf_output\n` +
      `r1 = map[id:${rb}]\nr2 = 4\nr3 = 0\ncall bpf_ringbuf_reserve\nif r0 == 0 goto out\n*(u32 *)(r0 + 0) = 0xabcd\nr1 = r0\nr2 = 0\ncall bpf_ringbuf_submit\nout:\nr0 = 0\nexit`);
    run(k, fd);
    expect(k.trace.of('ringbuf').map((r) => r.data)).toEqual(['3412000000000000', 'cdab0000']);
    const map = k.bpf.mapByFd(rb) as unknown as { consume(): Uint8Array[] };
    expect(map.consume().map((b) => Buffer.from(b).toString('hex'))).toEqual(['3412000000000000', 'cdab0000']);
  });

  test('tail calls go through the prog array; an empty slot falls through', () => {
    const k = newKernel();
    const pa = k.bpf.mapCreate({ type: BpfMapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 });
    const target = load(k, 'r0 = 3\nexit', XDP, 'target');
    const entry = load(k, `r2 = map[id:${pa}]\nr3 = 1\ncall bpf_tail_call\nr0 = 1\nexit`, XDP, 'entry');
    expect(run(k, entry)).toBe(1n);
    expect(k.bpf.mapUpdateElem(pa, u32le(1), u32le(target))).toBe(0);
    expect(run(k, entry)).toBe(3n);
  });

  test('bpf_loop runs the callback until it returns 1', () => {
    const k = newKernel();
    const fd = load(k, `*(u64 *)(r10 - 8) = 0\nr1 = 10\nr2 = subprog[9]\nr3 = r10\nr3 += -8\nr4 = 0\ncall bpf_loop\nr1 = *(u64 *)(r10 - 8)\nr0 <<= 8\nr0 |= r1\nexit\n` +
      `r3 = *(u64 *)(r2 + 0)\nr3 += r1\n*(u64 *)(r2 + 0) = r3\nr0 = 0\nif r1 == 4 goto stop\nexit\nstop:\nr0 = 1\nexit`);
    // iterations 0..4 (the 5th returns 1): 5 runs, sum 0+1+2+3+4 = 10
    expect(run(k, fd)).toBe((5n << 8n) | 10n);
  });
});

describe('task local storage', () => {
  // The verifier has no prototype for these yet (they need BTF task pointers): call the helpers directly.
  test('bpf_task_storage_get creates on request for the current task; delete removes it', () => {
    const k = newKernel();
    const fd = k.bpf.mapCreate({ type: BpfMapType.TASK_STORAGE, keySize: 4, valueSize: 8, maxEntries: 0, flags: 1, btfKeyTypeId: 1, btfValueTypeId: 2 });
    const map = k.bpf.mapByFd(fd)!;
    const env = { kernel: k, prog: undefined as never, cpu: 0, hook: 'direct', ctxAddr: 0n, attachCookie: 0n, funcIp: 0n };
    const call = { mem: k.mem, pc: 0, helperId: 0, kfunc: false, callback: () => 0n, unwind: () => { throw new Error('unwind'); } };
    const get = HELPERS.get(helperId('bpf_task_storage_get')!)!;
    const del = HELPERS.get(helperId('bpf_task_storage_delete')!)!;
    const task = k.current.taskAddr;
    expect(get(env, call, map.addr, task, 0n, 0n, 0n)).toBe(0n);
    expect(get(env, call, map.addr, task, 0n, 2n, 0n)).toBe(0n); // unknown flag
    expect(get(env, call, map.addr, task + 8n, 0n, 1n, 0n)).toBe(0n); // not a task bpfsim knows
    const addr = get(env, call, map.addr, task, 0n, 1n, 0n);
    expect(addr).not.toBe(0n);
    k.mem.write(addr, u64le(41n));
    expect(get(env, call, map.addr, task, 0n, 0n, 0n)).toBe(addr);
    expect(Buffer.from(k.mem.read(addr, 8)).readBigUInt64LE()).toBe(41n);
    expect(del(env, call, map.addr, task, 0n, 0n, 0n)).toBe(0n);
    expect(BigInt.asIntN(64, del(env, call, map.addr, task, 0n, 0n, 0n))).toBe(-2n);
    expect(get(env, call, map.addr, task, 0n, 0n, 0n)).toBe(0n);
  });
});
