/**
 * strace's printed arguments back into syscall arguments: numbers and named constants into
 * register values, strings into bytes in the caller's memory, argv/envp into string arrays,
 * the structs a call reads (sigaction, sigset, rlimit, timespec) into their x86-64 layout, and
 * the buffers a call writes into `{ out: n }` buffers. Each syscall's argument kinds are data (SIGS).
 */
import type { SysArg } from '@bpfsim/kernel';
import type { StraceCall } from './events';
import type { StraceValue } from './ast';
import { CONSTANTS, signalNumber } from './constants';
import { bytesOf, field, numOf, pathText } from './world';

/**
 * Kinds: i number; p path or string in; b bytes in (padded to the count in the next argument);
 * o<k> out buffer sized by argument k; O<n> out buffer of n bytes; O<n>? the same unless NULL;
 * v string array; sa struct sigaction; ss sigset; rl struct rlimit; ts struct timespec.
 */
const SIGS: Record<string, string[]> = {
  read: ['i', 'o2', 'i'], pread64: ['i', 'o2', 'i', 'i'], write: ['i', 'b', 'i'], pwrite64: ['i', 'b', 'i', 'i'],
  open: ['p', 'i', 'i'], openat: ['i', 'p', 'i', 'i'], creat: ['p', 'i'], close: ['i'],
  newfstatat: ['i', 'p', 'O144', 'i'], fstat: ['i', 'O144'], stat: ['p', 'O144'], lstat: ['p', 'O144'],
  access: ['p', 'i'], faccessat: ['i', 'p', 'i'], faccessat2: ['i', 'p', 'i', 'i'], execve: ['p', 'v', 'v'],
  brk: ['i'], mmap: ['i', 'i', 'i', 'i', 'i', 'i'], munmap: ['i', 'i'], mprotect: ['i', 'i', 'i'],
  arch_prctl: ['i', 'i'], set_tid_address: ['i'], set_robust_list: ['i', 'i'], rseq: ['i', 'i', 'i', 'i'],
  prlimit64: ['i', 'i', 'rl', 'O16?'], getrlimit: ['i', 'O16'], getrandom: ['o1', 'i', 'i'],
  rt_sigaction: ['i', 'sa', 'O32?', 'i'], rt_sigprocmask: ['i', 'ss', 'O8?', 'i'], ioctl: ['i', 'i', 'i'],
  lseek: ['i', 'i', 'i'], fcntl: ['i', 'i', 'i'], getdents64: ['i', 'o2', 'i'], dup: ['i'], dup2: ['i', 'i'],
  dup3: ['i', 'i', 'i'], pipe: ['O8'], pipe2: ['O8', 'i'], wait4: ['i', 'O4?', 'i', 'i'], getcwd: ['o1', 'i'],
  readlink: ['p', 'o2', 'i'], readlinkat: ['i', 'p', 'o3', 'i'], chdir: ['p'], fchdir: ['i'], unlink: ['p'],
  unlinkat: ['i', 'p', 'i'], mkdir: ['p', 'i'], mkdirat: ['i', 'p', 'i'], rmdir: ['p'], rename: ['p', 'p'],
  renameat: ['i', 'p', 'i', 'p'], renameat2: ['i', 'p', 'i', 'p', 'i'], symlink: ['p', 'p'], symlinkat: ['p', 'i', 'p'],
  link: ['p', 'p'], linkat: ['i', 'p', 'i', 'p', 'i'], chmod: ['p', 'i'], fchmod: ['i', 'i'], fchmodat: ['i', 'p', 'i'],
  chown: ['p', 'i', 'i'], lchown: ['p', 'i', 'i'], fchown: ['i', 'i', 'i'], fchownat: ['i', 'p', 'i', 'i', 'i'],
  umask: ['i'], kill: ['i', 'i'], tkill: ['i', 'i'], tgkill: ['i', 'i', 'i'], exit: ['i'], exit_group: ['i'],
  uname: ['O390'], sethostname: ['b', 'i'], setdomainname: ['b', 'i'], unshare: ['i'], setpgid: ['i', 'i'],
  prctl: ['i', 'i', 'i', 'i', 'i'], clock_nanosleep: ['i', 'i', 'ts', 'O16?'], nanosleep: ['ts', 'O16?'],
  clock_gettime: ['i', 'O16'], fadvise64: ['i', 'i', 'i', 'i'], truncate: ['p', 'i'], ftruncate: ['i', 'i'],
  setns: ['i', 'i'], socket: ['i', 'i', 'i'], connect: ['i', 'sock', 'i'],
  bind: ['i', 'sock', 'i'], accept: ['i', 'O128?', 'lenp'], accept4: ['i', 'O128?', 'lenp', 'i'], getsockname: ['i', 'O128', 'lenp'],
  getpeername: ['i', 'O128', 'lenp'], setsockopt: ['i', 'i', 'i', 'intv', 'i'], getsockopt: ['i', 'i', 'i', 'O4', 'lenp'],
  sendto: ['i', 'nlb', 'i', 'i', 'sock5', 'i'], recvfrom: ['i', 'o2', 'i', 'i', 'O128?', 'lenp'],
  sendmsg: ['i', 'msgin', 'i'], recvmsg: ['i', 'msgout', 'i'], statfs: ['p', 'O120'], rt_sigsuspend: ['ss', 'i'], rt_sigreturn: [], sysinfo: ['O112'], statx: ['i', 'p', 'i', 'i', 'O256'], getxattr: ['p', 'p', 'O0?', 'i'], lgetxattr: ['p', 'p', 'O0?', 'i'], fgetxattr: ['i', 'p', 'O0?', 'i'], fstatfs: ['i', 'O120'], getpgid: ['i'], getsid: ['i'], setuid: ['i'], setgid: ['i'],
};

/** The syscall arguments for a recorded call, or a reason it cannot be converted. */
export function toSysArgs(c: StraceCall): SysArg[] | string {
  if (c.name === 'clone') return cloneArgs(c);
  if (c.name === 'clone3') return clone3Args(c);
  const sig = SIGS[c.name];
  if (!sig) {
    // No argument table: plain numbers only.
    const out: SysArg[] = [];
    for (const f of c.args) {
      const n = numOf(f.value);
      if (n === undefined) return `arguments of ${c.name} are not described`;
      out.push(n);
    }
    return out;
  }
  const out: SysArg[] = [];
  for (let i = 0; i < sig.length; i++) {
    const v = c.args[i]?.value;
    const a = arg(sig[i], v, c, out);
    if (typeof a === 'string' && a.startsWith('!')) return `${c.name} argument ${i}: ${a.slice(1)}`;
    out.push(a as SysArg);
  }
  return out;
}

const isNull = (v: StraceValue | undefined): boolean => !v || (v.kind === 'ident' && v.name === 'NULL') || (v.kind === 'num' && v.value === 0n);

function arg(kind: string, v: StraceValue | undefined, c: StraceCall, prev: SysArg[]): SysArg | string {
  if (kind === 'i') {
    if (!v) return 0; // an argument strace does not print (openat without O_CREAT has no mode)
    if (v.kind === 'str') return cstr(v.value);
    const n = v?.kind === 'inout' ? numOf(v.before) : numOf(v);
    if (n === undefined) return v.kind === 'struct' || v.kind === 'array' ? 0 : `!cannot read ${v.kind} as a number`;
    return n;
  }
  if (kind === 'p') {
    if (isNull(v)) return 0;
    if (v?.kind !== 'str') return `!expected a string, got ${v?.kind}`;
    return cstr(v.value);
  }
  if (kind === 'b') {
    if (v?.kind !== 'str') return isNull(v) ? 0 : `!expected bytes, got ${v?.kind}`;
    const count = numOf(c.args[c.args.indexOf(c.args.find((f) => f.value === v)!) + 1]?.value) ?? v.value.length;
    const b = new Uint8Array(Math.max(count, 0));
    b.set(bytesOf(v.value).subarray(0, b.length));
    return b;
  }
  if (kind.startsWith('o')) {
    const k = Number(kind.slice(1));
    const n = numOf(c.args[k]?.value) ?? 0;
    return { out: Math.max(0, Math.min(n, 1 << 20)) };
  }
  if (kind.startsWith('O')) {
    if (kind.endsWith('?') && isNull(v)) return 0;
    return { out: Number(kind.replace(/[O?]/g, '')) };
  }
  if (kind === 'v') {
    if (isNull(v)) return 0;
    if (v?.kind !== 'array') return `!expected a string array, got ${v?.kind}`;
    const strs: string[] = [];
    for (const it of v.items) {
      if (it.kind === 'str') strs.push(pathText(it.value));
      else if (it.kind !== 'ellipsis' && it.kind !== 'comment') return `!argv item ${it.kind}`;
    }
    return strs;
  }
  if (kind === 'sock') return isNull(v) ? 0 : sockaddr(v!, numOf(c.args[2]?.value) ?? 16);
  if (kind === 'nlb') {
    // Bytes, or a netlink message strace decoded (`[{nlmsg_len=…}, "…"]`).
    const count = numOf(c.args[2]?.value) ?? 0;
    if (v?.kind === 'str') return arg('b', v, c, prev);
    const b = netlinkBytes(v, count);
    return b ?? `!expected bytes, got ${v?.kind}`;
  }
  if (kind === 'msgin' || kind === 'msgout') return isNull(v) ? 0 : msghdr(v!, kind === 'msgout');
  if (kind === 'sock5') return isNull(v) ? 0 : sockaddr(v!, numOf(c.args[5]?.value) ?? 16);
  if (kind === 'lenp' || kind === 'intv') {
    // `[16]`, `[128 => 16]` (socklen_t in/out) or `[1]` (an int option): the value that went in, as an int.
    if (isNull(v)) return 0;
    let x: StraceValue | undefined = v?.kind === 'inout' ? v.before : v;
    if (x?.kind === 'array') x = x.items[0];
    if (x?.kind === 'inout') x = x.before;
    const n = numOf(x);
    if (n === undefined) return `!expected [int], got ${v?.kind}`;
    const b = new Uint8Array(kind === 'intv' ? Math.max(4, numOf(c.args[4]?.value) ?? 4) : 4);
    new DataView(b.buffer).setInt32(0, n, true);
    return b;
  }
  if (kind === 'ss') return isNull(v) ? 0 : sigset(v!);
  if (kind === 'sa') {
    if (isNull(v)) return 0;
    if (v?.kind !== 'struct') return `!expected a struct sigaction, got ${v?.kind}`;
    const b = new Uint8Array(32);
    const dv = new DataView(b.buffer);
    const mask = field(v, 'sa_mask');
    dv.setBigUint64(0, BigInt.asUintN(64, BigInt(numOf(field(v, 'sa_handler')) ?? 0)), true);
    dv.setBigUint64(8, BigInt((numOf(field(v, 'sa_flags')) ?? 0) >>> 0), true);
    dv.setBigUint64(16, BigInt(numOf(field(v, 'sa_restorer')) ?? 0), true);
    dv.setBigUint64(24, mask ? sigmask(mask) : 0n, true);
    return b;
  }
  if (kind === 'rl') {
    if (isNull(v)) return 0;
    if (v?.kind !== 'struct') return `!expected a struct rlimit, got ${v?.kind}`;
    const b = new Uint8Array(16);
    const dv = new DataView(b.buffer);
    const lim = (x: StraceValue | undefined) => (x?.kind === 'ident' && x.name === 'RLIM64_INFINITY' ? 0xffff_ffff_ffff_ffffn : BigInt(numOf(x) ?? 0));
    dv.setBigUint64(0, lim(field(v, 'rlim_cur')), true);
    dv.setBigUint64(8, lim(field(v, 'rlim_max')), true);
    return b;
  }
  if (kind === 'ts') {
    if (isNull(v)) return 0;
    if (v?.kind !== 'struct') return `!expected a struct timespec, got ${v?.kind}`;
    const b = new Uint8Array(16);
    const dv = new DataView(b.buffer);
    dv.setBigInt64(0, BigInt(numOf(field(v, 'tv_sec')) ?? 0), true);
    dv.setBigInt64(8, BigInt(numOf(field(v, 'tv_nsec')) ?? 0), true);
    return b;
  }
  void prev;
  return `!unknown argument kind ${kind}`;
}

/** A `{sa_family=AF_UNIX, sun_path="…"}` or `{sa_family=AF_INET, sin_port=htons(N), sin_addr=inet_addr("a.b.c.d")}` as the bytes the kernel reads. */
function sockaddr(v: StraceValue, len: number): Uint8Array | string {
  if (v.kind !== 'struct') return `!expected a sockaddr, got ${v.kind}`;
  const b = new Uint8Array(Math.max(2, Math.min(len, 128)));
  const dv = new DataView(b.buffer);
  dv.setUint16(0, numOf(field(v, 'sa_family')) ?? 0, true);
  const nlPid = field(v, 'nl_pid');
  if (nlPid && b.length >= 12) dv.setUint32(4, (numOf(nlPid) ?? 0) >>> 0, true);
  const path = field(v, 'sun_path');
  if (path?.kind === 'str') b.set(bytesOf(path.value).subarray(0, b.length - 2), 2);
  const port = field(v, 'sin_port');
  if (port?.kind === 'call' && b.length >= 4) dv.setUint16(2, numOf(port.args[0]?.value) ?? 0, false);
  const addr = field(v, 'sin_addr');
  if (addr?.kind === 'call' && addr.args[0]?.value.kind === 'str' && b.length >= 8) {
    (addr.args[0].value as { value: string }).value.split('.').forEach((o, i) => (b[4 + i] = Number(o)));
  }
  return b;
}

/** A netlink message as strace prints it, `[{nlmsg_len=N, nlmsg_type=T, nlmsg_flags=F, nlmsg_seq=S, nlmsg_pid=P}, "payload"]`, as bytes (padded to `size`). */
function netlinkBytes(v: StraceValue | undefined, size: number): Uint8Array | undefined {
  if (v?.kind !== 'array' || v.items[0]?.kind !== 'struct') return undefined;
  const h = v.items[0];
  const len = numOf(field(h, 'nlmsg_len')) ?? 16;
  const b = new Uint8Array(Math.max(size, len, 16));
  const dv = new DataView(b.buffer);
  dv.setUint32(0, len, true);
  dv.setUint16(4, numOf(field(h, 'nlmsg_type')) ?? 0, true);
  dv.setUint16(6, numOf(field(h, 'nlmsg_flags')) ?? 0, true);
  dv.setUint32(8, (numOf(field(h, 'nlmsg_seq')) ?? 0) >>> 0, true);
  dv.setUint32(12, (numOf(field(h, 'nlmsg_pid')) ?? 0) >>> 0, true);
  const rest = v.items[1];
  if (rest?.kind === 'str') b.set(bytesOf(rest.value).subarray(0, b.length - 16), 16);
  return b;
}

/**
 * struct msghdr (56 bytes) with its name and iovecs as pointers: for sendmsg the iovecs carry the
 * recorded bytes, for recvmsg they are out buffers of their recorded lengths.
 */
function msghdr(v: StraceValue, out: boolean): SysArg | string {
  if (v.kind !== 'struct') return `!expected a struct msghdr, got ${v.kind}`;
  const m = new Uint8Array(56);
  const dv = new DataView(m.buffer);
  const ptrs: { at: number; arg: SysArg }[] = [];
  const namelen = numOf(field(v, 'msg_namelen')) ?? 0;
  const name = field(v, 'msg_name');
  if (name && !isNull(name)) {
    const sa = out ? { out: namelen } : sockaddr(name, namelen);
    if (typeof sa === 'string') return sa;
    ptrs.push({ at: 0, arg: sa });
  }
  dv.setInt32(8, namelen, true);
  const iov = field(v, 'msg_iov');
  const items = iov?.kind === 'array' ? iov.items.filter((x) => x.kind === 'struct') : [];
  if (items.length) {
    const vec = new Uint8Array(16 * items.length);
    const vv = new DataView(vec.buffer);
    const vptrs: { at: number; arg: SysArg }[] = [];
    items.forEach((it, i) => {
      const len = numOf(field(it as Extract<StraceValue, { kind: 'struct' }>, 'iov_len')) ?? 0;
      const base = field(it as Extract<StraceValue, { kind: 'struct' }>, 'iov_base');
      vv.setBigUint64(i * 16 + 8, BigInt(len), true);
      if (!base || isNull(base)) return;
      let data: SysArg;
      if (out) data = { out: Math.min(len, 1 << 20) };
      else if (base.kind === 'str') {
        const b = new Uint8Array(len);
        b.set(bytesOf(base.value).subarray(0, len));
        data = b;
      } else data = netlinkBytes(base, len) ?? new Uint8Array(len);
      vptrs.push({ at: i * 16, arg: data });
    });
    ptrs.push({ at: 16, arg: { struct: vec, ptrs: vptrs } });
  }
  dv.setBigUint64(24, BigInt(items.length), true);
  return { struct: m, ptrs };
}

/** `[INT QUIT]`, `~[RTMIN RT_1]`, `[]` as the 64-bit mask the kernel reads. */
export function sigmask(v: StraceValue): bigint {
  if (v.kind === 'unary' && v.op === '~') return ~sigmask(v.operand) & 0xffff_ffff_ffff_ffffn;
  if (v.kind !== 'array') return 0n;
  let m = 0n;
  for (const it of v.items) {
    const n = it.kind === 'ident' ? signalNumber(it.name) : numOf(it);
    if (n) m |= 1n << BigInt(n - 1);
  }
  return m;
}

function sigset(v: StraceValue): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, sigmask(v), true);
  return b;
}

function cstr(s: string): Uint8Array {
  const b = bytesOf(s);
  const o = new Uint8Array(b.length + 1);
  o.set(b);
  return o;
}

const CLONE_ARGS_FIELDS = ['flags', 'pidfd', 'child_tid', 'parent_tid', 'exit_signal', 'stack', 'stack_size', 'tls', 'set_tid', 'set_tid_size', 'cgroup'];

/** clone3({flags=…, child_tid=…, …} => {parent_tid=[N]}, 88): struct clone_args, fields in uapi order. */
function clone3Args(c: StraceCall): SysArg[] | string {
  let v = c.args[0]?.value;
  if (v?.kind === 'inout') v = v.before;
  if (v?.kind !== 'struct') return 'clone3: unreadable struct clone_args';
  const size = numOf(c.args[1]?.value) ?? 88;
  const b = new Uint8Array(size);
  const dv = new DataView(b.buffer);
  CLONE_ARGS_FIELDS.forEach((name, i) => {
    if ((i + 1) * 8 > size) return;
    const x = field(v as Extract<StraceValue, { kind: 'struct' }>, name);
    const n = name === 'set_tid' ? undefined : numOf(x);
    if (n !== undefined) dv.setBigUint64(i * 8, BigInt.asUintN(64, BigInt(n)), true);
  });
  return [b, size];
}

/** clone(child_stack=…, flags=…, parent_tid=…, child_tidptr=…, tls=…): x86-64 order flags, stack, parent_tid, child_tid, tls. */
function cloneArgs(c: StraceCall): SysArg[] | string {
  const named = (n: string) => c.args.find((f) => f.name === n)?.value;
  const flags = numOf(named('flags'));
  if (flags === undefined) return 'clone: unreadable flags';
  const ptr = (v: StraceValue | undefined, need: number): SysArg => (need ? { out: 8 } : numOf(v) ?? (v?.kind === 'inout' ? { out: 8 } : 0));
  return [
    flags,
    numOf(named('child_stack')) ?? 0,
    ptr(named('parent_tid'), flags & CONSTANTS.CLONE_PARENT_SETTID),
    ptr(named('child_tidptr'), flags & (CONSTANTS.CLONE_CHILD_SETTID | CONSTANTS.CLONE_CHILD_CLEARTID)),
    numOf(named('tls')) ?? 0,
  ];
}
