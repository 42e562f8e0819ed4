/** /proc/PID/{comm,cmdline,status,ns/*}, /proc/self, and setns with ns descriptors. */
import { Errno } from '@bpfsim/uapi';
import { CLONE, O } from '../../src';
import { cstring, newKernel, spawn } from './helpers';

function readAll(k: ReturnType<typeof newKernel>, t: Parameters<ReturnType<typeof newKernel>['syscall']>[0], path: string): string {
  const fd = k.syscall(t, 'open', [path, O.RDONLY, 0]).ret;
  if (fd < 0) throw new Error(`${path}: ${fd}`);
  const r = k.syscall(t, 'read', [fd, { out: 4096 }, 4096]);
  k.syscall(t, 'close', [fd]);
  return new TextDecoder().decode(r.outs[0].subarray(0, r.ret));
}

test('/proc/self, comm, cmdline and status of a process in a nested pid namespace', () => {
  const k = newKernel();
  const sh = spawn(k, '/bin/sh', ['sh', '-c', 'true']);
  expect(readAll(k, sh, '/proc/self/comm')).toBe('sh\n');
  expect(readAll(k, sh, `/proc/${sh.pid}/cmdline`)).toBe('sh\0-c\0true\0');
  const self = k.syscall(sh, 'readlink', ['/proc/self', { out: 32 }, 32]);
  expect(cstring(self.outs[0]).slice(0, self.ret)).toBe(String(sh.pid));
  const init = k.syscall(sh, 'clone', [CLONE.NEWPID | 17, 0, 0, 0, 0]).child!;
  const st = readAll(k, sh, `/proc/${init.pid}/status`);
  expect(st).toMatch(new RegExp(`^Name:\\tsh\\n`));
  expect(st).toContain(`\nPid:\t${init.pid}\n`);
  expect(st).toContain(`\nPPid:\t${sh.pid}\n`);
  expect(st).toContain(`\nNSpid:\t${init.pid}\t1\n`);
  expect(st).toContain('\nCapEff:\t000001ffffffffff\n');
  expect(k.syscall(sh, 'open', ['/proc/99999/status', 0, 0]).ret).toBe(-Errno.ENOENT);
  // The listing has self and one directory per process.
  const dfd = k.syscall(sh, 'open', ['/proc', O.RDONLY | O.DIRECTORY, 0]).ret;
  const d = k.syscall(sh, 'getdents64', [dfd, { out: 4096 }, 4096]);
  const text = new TextDecoder().decode(d.outs[0].subarray(0, d.ret));
  for (const n of ['self', '1', '2', String(sh.pid), String(init.pid)]) expect(text).toContain(`${n}\0`);
});

test('/proc/PID/ns/* read as "type:[inode]" and open to the namespace; setns joins it', () => {
  const k = newKernel();
  const sh = spawn(k);
  const link = (t: typeof sh, p: string) => {
    const r = k.syscall(t, 'readlink', [p, { out: 64 }, 64]);
    return new TextDecoder().decode(r.outs[0].subarray(0, r.ret));
  };
  expect(link(sh, '/proc/self/ns/pid')).toBe('pid:[4026531836]');
  expect(link(sh, '/proc/self/ns/mnt')).toBe('mnt:[4026531832]');
  const box = k.syscall(sh, 'fork').child!;
  k.syscall(box, 'unshare', [CLONE.NEWUTS]);
  k.syscall(box, 'sethostname', ['box', 3]);
  const uts = link(sh, `/proc/${box.pid}/ns/uts`);
  expect(uts).toBe(`uts:[${box.nsproxy.uts.inum}]`);
  expect(uts).toBe('uts:[4026532173]');
  // stat of the ns file gives the namespace's inode number on nsfs.
  const st = new DataView(k.syscall(sh, 'stat', [`/proc/${box.pid}/ns/uts`, { out: 144 }]).outs[0].buffer);
  expect(st.getBigUint64(8, true)).toBe(4026532173n);
  const fd = k.syscall(sh, 'open', [`/proc/${box.pid}/ns/uts`, O.RDONLY, 0]).ret;
  const other = k.syscall(sh, 'fork').child!;
  expect(k.syscall(other, 'setns', [fd, CLONE.NEWPID]).ret).toBe(-Errno.EINVAL);
  expect(k.syscall(other, 'setns', [fd, CLONE.NEWUTS]).ret).toBe(0);
  const u = k.syscall(other, 'uname', [{ out: 390 }]).outs[0];
  expect(cstring(u.subarray(65, 130))).toBe('box');
  const etc = k.syscall(other, 'open', ['/etc/hostname', 0, 0]).ret;
  expect(k.syscall(other, 'setns', [etc, 0]).ret).toBe(-Errno.EINVAL);
  expect(k.syscall(other, 'setns', [99, 0]).ret).toBe(-Errno.EBADF);
  k.syscall(other, 'setuid', [1000]);
  expect(k.syscall(other, 'setns', [fd, 0]).ret).toBe(-Errno.EPERM);
});

test('setns into a pid namespace: only the own one or a descendant; children are then born inside', () => {
  const k = newKernel();
  const sh = spawn(k);
  const init = k.syscall(sh, 'clone', [CLONE.NEWPID | 17, 0, 0, 0, 0]).child!;
  const fd = k.syscall(sh, 'open', [`/proc/${init.pid}/ns/pid`, 0, 0]).ret;
  const joiner = k.syscall(sh, 'fork').child!;
  expect(k.syscall(joiner, 'setns', [fd, CLONE.NEWPID]).ret).toBe(0);
  expect(k.syscall(joiner, 'getpid').ret).toBe(joiner.pid);
  const c = k.syscall(joiner, 'fork');
  expect(k.syscall(c.child!, 'getpid').ret).toBe(2);
  expect(k.syscall(c.child!, 'getppid').ret).toBe(0);
  // From inside, the host's namespace is an ancestor: EINVAL.
  const inner = k.syscall(init, 'fork').child!;
  const hostFd = k.syscall(inner, 'open', ['/proc/1/ns/pid', 0, 0]).ret;
  expect(k.syscall(inner, 'setns', [hostFd, CLONE.NEWPID]).ret).toBe(-Errno.EINVAL);
});
