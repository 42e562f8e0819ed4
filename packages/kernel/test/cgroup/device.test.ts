/**
 * mknod(2) against the 6.18 machine (fixtures/host-mknod.json, record-host-mknod.py in a temporary
 * directory), and cgroup_device programs deciding mknod and open of device nodes for the tasks of
 * their cgroup (kernel/bpf/cgroup.c __cgroup_bpf_check_dev_permission: a program answering 0 is EPERM).
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { assemble } from '@bpfsim/isa';
import { BpfAttachType as A, BpfProgType as T, Errno } from '@bpfsim/uapi';
import { bpfSyscall } from '../../src';
import { AT_FDCWD, CG, mkdir, newKernel, spawn, stat, writeFile } from './helpers';

const fx = JSON.parse(readFileSync(join(__dirname, 'fixtures/host-mknod.json'), 'utf8')) as { kernel: string; cases: Record<string, number>; rdev: { chr: number; blk: number }; modeZeroType: number };
const S_IFREG = 0o100000, S_IFCHR = 0o20000, S_IFBLK = 0o60000, S_IFIFO = 0o10000, S_IFSOCK = 0o140000, S_IFDIR = 0o40000;
/** glibc makedev for small numbers (what new_encode_dev gives). */
const makedev = (major: number, minor: number): number => (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12);

test(`mknod answers as the ${fx.kernel} machine`, () => {
  const k = newKernel('mknod');
  const sh = spawn(k);
  k.syscall(sh, 'mkdir', ['/tmp/m', 0o777]);
  k.syscall(sh, 'chmod', ['/tmp/m', 0o1777]); // the user may create there: only CAP_MKNOD is missing
  k.syscall(sh, 'chdir', ['/tmp/m']);
  const e = (r: number): number => (r < 0 ? -r : 0);
  const mk = (p: string, mode: number, dev = 0): number => e(k.syscall(sh, 'mknod', [p, mode, dev]).ret);
  const got: Record<string, number> = {
    reg: mk('reg', 0o644 | S_IFREG),
    'zero type': mk('zero', 0o644),
    fifo: mk('fifo', 0o600 | S_IFIFO),
    sock: mk('sock', 0o600 | S_IFSOCK),
    chr: mk('chr', 0o600 | S_IFCHR, makedev(1, 3)),
    blk: mk('blk', 0o600 | S_IFBLK, makedev(7, 300)),
    dir: mk('d', 0o755 | S_IFDIR),
    'bad type': mk('bad', 0o170644),
    exists: mk('reg', 0o644),
    'trailing slash': mk('ts/', 0o644),
    'missing parent': mk('nope/x', 0o644),
    'cgroupfs file': mk(`${CG}/nofile`, 0o644),
  };
  const user = k.syscall(sh, 'fork').child!;
  k.syscall(user, 'setuid', [65534]);
  got['user chr'] = e(k.syscall(user, 'mknod', ['/tmp/m/uchr', 0o600 | S_IFCHR, makedev(1, 3)]).ret);
  expect(got).toEqual(fx.cases);
  const rdev = (p: string): number => {
    const r = k.syscall(sh, 'stat', [p, { out: 144 }]);
    return Number(new DataView(r.outs[0].buffer, r.outs[0].byteOffset).getBigUint64(40, true));
  };
  expect({ chr: rdev('chr'), blk: rdev('blk') }).toEqual(fx.rdev);
  expect((stat(k, sh, 'zero') as { mode: number }).mode).toBe(fx.modeZeroType);
});

test('a cgroup_device program allows /dev/null (1:3) and denies the rest, for the tasks of its subtree only', () => {
  const k = newKernel('devcg');
  const sh = spawn(k);
  mkdir(k, sh, `${CG}/ct`);
  mkdir(k, sh, `${CG}/ct/sub`);
  // Allow char 1:3 (any access), deny everything else: ctx { access_type, major, minor }.
  const prog = k.bpf.progLoad({
    progType: T.CGROUP_DEVICE, license: 'GPL', name: 'devcg', expectedAttachType: A.CGROUP_DEVICE,
    insns: assemble(['r0 = 0', 'r2 = *(u32 *)(r1 + 0)', 'r2 &= 0xffff', 'if r2 != 2 goto +4', 'r3 = *(u32 *)(r1 + 4)', 'if r3 != 1 goto +2', 'r4 = *(u32 *)(r1 + 8)', 'if r4 == 3 goto +1', 'exit', 'r0 = 1', 'exit'].join('\n'), { dialect: 'kernel' }),
  });
  expect(prog.fd).toBeGreaterThan(0);
  expect(bpfSyscall(k, 'PROG_ATTACH', { targetFd: k.bpf.cgroupOpen(`${CG}/ct`), attachBpfFd: prog.fd, attachType: A.CGROUP_DEVICE }).ret).toBe(0);
  // Device nodes made from outside the container.
  expect(k.syscall(sh, 'mknod', ['/dev/null', 0o666 | S_IFCHR, makedev(1, 3)]).ret).toBe(0);
  expect(k.syscall(sh, 'mknod', ['/dev/mem', 0o640 | S_IFCHR, makedev(1, 1)]).ret).toBe(0);
  const c = spawn(k, sh);
  writeFile(k, sh, `${CG}/ct/sub/cgroup.procs`, String(c.tgid));
  const open = (t: typeof c, p: string, flags: number): number => {
    const fd = k.syscall(t, 'openat', [AT_FDCWD, p, flags, 0]).ret;
    if (fd >= 0) k.syscall(t, 'close', [fd]);
    return fd < 0 ? fd : 0;
  };
  expect(open(c, '/dev/null', 2)).toBe(0);
  expect(open(c, '/dev/mem', 0)).toBe(-Errno.EPERM);
  expect(k.syscall(c, 'mknod', ['/tmp/sda', 0o600 | S_IFBLK, makedev(8, 0)]).ret).toBe(-Errno.EPERM);
  expect(k.syscall(c, 'mknod', ['/tmp/null2', 0o600 | S_IFCHR, makedev(1, 3)]).ret).toBe(0);
  // Regular files are not the device cgroup's business.
  expect(k.syscall(c, 'mknod', ['/tmp/plain', 0o600, 0]).ret).toBe(0);
  // Outside the cgroup, nothing is filtered.
  expect(open(sh, '/dev/mem', 0)).toBe(0);
});
