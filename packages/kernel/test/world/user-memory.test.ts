/**
 * Per-process user memory seen from BPF: a program reads a process's argv
 * and a path it passed to a syscall with bpf_probe_read_user_str, and the
 * current-task helpers report the process that made the last syscall.
 */
import { assemble } from '@bpfsim/isa';
import { BpfProgType } from '@bpfsim/uapi';
import { CLONE } from '../../src';
import { stackString } from '../asm-util';
import { newKernel, spawn } from './helpers';

const [fmtAsm, fmtOff] = stackString('%s', 64);
const PROG = `
  r6 = *(u64 *)(r1 + 0)
  r1 = r10
  r1 += -64
  r2 = 64
  r3 = r6
  call bpf_probe_read_user_str
  r7 = r0
  ${fmtAsm}
  r1 = r10
  r1 += ${fmtOff}
  r2 = ${-fmtOff}
  r3 = r10
  r3 += -64
  call bpf_trace_printk
  r0 = r7
  exit`;

function load(k: ReturnType<typeof newKernel>) {
  const p = k.bpf.progLoad({ progType: BpfProgType.RAW_TRACEPOINT, insns: assemble(PROG, { dialect: 'kernel' }), license: 'GPL', name: 'argv' });
  if (p.fd < 0) throw new Error(`${p.error}\n${p.log}`);
  return (ptr: bigint) => {
    const ctx = new Uint8Array(8);
    new DataView(ctx.buffer).setBigUint64(0, ptr, true);
    return k.bpf.progTestRun(p.fd, { ctxIn: ctx });
  };
}

test('bpf_probe_read_user_str reads argv[1] from the stack execve built, and current is the process', () => {
  const k = newKernel();
  const run = load(k);
  const sh = spawn(k, '/bin/ls', ['ls', '--color=never', '/tmp']);
  expect(k.syscall(sh, 'getpid').ret).toBe(sh.pid);
  expect(k.current).toBe(sh);
  const argv1 = k.mem.readU64(sh.mm!.startStack + 16n);
  const r = run(argv1);
  expect(r.retval).toBe('--color=never'.length + 1);
  const line = k.bpf.tracePipe[k.bpf.tracePipe.length - 1];
  expect(line).toMatch(new RegExp(`^ +ls-${sh.pid} .*bpf_trace_printk: --color=never$`));
});

test('a syscall\'s path argument lives in the caller\'s memory; another process\'s pointer is not this one\'s', () => {
  const k = newKernel();
  const run = load(k);
  const sh = spawn(k);
  const fd = k.syscall(sh, 'openat', [-100, '/etc/hostname', 0, 0]);
  expect(fd.ret).toBeGreaterThanOrEqual(0);
  // The string the call read is in the caller's scratch VMA.
  const scratch = sh.mm!.vmas.find((v) => v.kind === 'scratch')!;
  expect(new TextDecoder().decode(k.mem.read(scratch.start, 13))).toBe('/etc/hostname');
  expect(run(scratch.start).retval).toBe(14);
  // Another process handed this address gets EFAULT from the kernel.
  const other = spawn(k, '/bin/cat', ['cat']);
  expect(k.syscall(other, 'openat', [-100, Number(scratch.start), 0, 0]).ret).toBe(-14);
});

test('brk grows the heap (mapped on first use) and refuses to leave it; anonymous mmap/munmap', () => {
  const k = newKernel();
  const sh = spawn(k);
  const base = k.syscall(sh, 'brk', [0]).ret;
  expect(base).toBeGreaterThan(0);
  expect(k.syscall(sh, 'brk', [base + 10000]).ret).toBe(base + 10000);
  expect(k.syscall(sh, 'brk', [base - 4096]).ret).toBe(base + 10000);
  const m = k.syscall(sh, 'mmap', [0, 8192, 3, 0x22, -1, 0]).ret;
  expect(m % 4096).toBe(0);
  expect(k.syscall(sh, 'munmap', [m, 8192]).ret).toBe(0);
  // Forked children get copies of the parent's memory.
  const child = k.syscall(sh, 'fork').child!;
  const cb = k.syscall(child, 'brk', [0]).ret;
  expect(cb - Number(child.mm!.startBrk)).toBe(10000);
  expect(child.mm).not.toBe(sh.mm);
  const thread = k.syscall(sh, 'clone', [CLONE.VM | CLONE.SIGHAND | CLONE.THREAD, 0, 0, 0, 0]).child!;
  expect(thread.mm).toBe(sh.mm);
});

test('bpf_get_ns_current_pid_tgid: the pid as the current task\'s own pid namespace sees it; other namespaces are EINVAL', () => {
  const k = newKernel();
  const prog = `
    r6 = r1
    r1 = *(u64 *)(r6 + 0)
    r2 = *(u64 *)(r6 + 8)
    r3 = r10
    r3 += -8
    r4 = 8
    call bpf_get_ns_current_pid_tgid
    if r0 != 0 goto out
    r0 = *(u32 *)(r10 - 8)
  out:
    exit`;
  const p = k.bpf.progLoad({ progType: BpfProgType.RAW_TRACEPOINT, insns: assemble(prog, { dialect: 'kernel' }), license: 'GPL', name: 'nspid' });
  expect(p.fd).toBeGreaterThan(0);
  const run = (dev: bigint, ino: bigint) => {
    const ctx = new Uint8Array(16);
    const dv = new DataView(ctx.buffer);
    dv.setBigUint64(0, dev, true);
    dv.setBigUint64(8, ino, true);
    return k.bpf.progTestRun(p.fd, { ctxIn: ctx }).retval;
  };
  const sh = spawn(k);
  const init = k.syscall(sh, 'clone', [CLONE.NEWPID | 17, 0, 0, 0, 0]).child!;
  const inner = k.syscall(init, 'fork').child!;
  k.syscall(inner, 'getpid');
  const [outer, own] = inner.pidNs;
  expect(run(own.dev, own.ino)).toBe(2);
  expect(run(outer.dev, outer.ino)).toBe(-22 >>> 0);
  k.syscall(sh, 'getpid');
  expect(run(outer.dev, outer.ino)).toBe(sh.pid);
});
