/**
 * cgroupfs against the 6.18 machine: fixtures/host-cgroup2.json holds what the
 * host's cgroup2 hierarchy showed (record-host-cgroup2.py, run as root in a
 * subtree it creates and removes): the root's files and their kernfs ids, the
 * files of a new cgroup and their ids relative to its directory, fresh
 * contents, and the errno of each case. The model is driven through the same
 * syscalls the recorder made.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { Errno } from '@bpfsim/uapi';
import { SIG, WAIT } from '../../src';
import { CG, O_CREAT, O_WRONLY, AT_FDCWD, listDir, mkdir, newKernel, readFile, rmdir, spawn, stat, writeFile } from './helpers';

interface Fixture {
  kernel: string;
  root: [string, number, string][];
  rootMode: string;
  child: [string, number, string][];
  nextDirOffset: number;
  fresh: Record<string, string>;
  freshCpuStat: string[];
  maxDepthAfter: string;
  statWithChild: string[];
  eventsPopulated: string;
  procCgroup: string;
  killedBy: number;
  eventsAfterKill: string;
  cases: Record<string, number>;
}
const fx = JSON.parse(readFileSync(join(__dirname, 'fixtures/host-cgroup2.json'), 'utf8')) as Fixture;

describe(`cgroupfs as the ${fx.kernel} machine shows it`, () => {
  test('the root: mode, base files with their kernfs ids (the root directory is id 1)', () => {
    const k = newKernel();
    const sh = spawn(k);
    const root = stat(k, sh, CG);
    expect(root).toMatchObject({ ino: 1, mode: 0o40000 | Number(fx.rootMode) });
    const names = listDir(k, sh, CG);
    let present = 0;
    for (const [name, ino, mode] of fx.root) {
      // Files bpfsim does not model (PSI) take their id but are absent (docs/kernel.md).
      if (!names.includes(name)) continue;
      present++;
      expect([name, stat(k, sh, `${CG}/${name}`)]).toEqual([name, { ino, mode: 0o100000 | Number(mode) }]);
    }
    expect(present).toBe(9);
  });

  test('a new cgroup: its files, modes and ids after its directory, and the id the next one gets', () => {
    const k = newKernel();
    const sh = spawn(k);
    expect(mkdir(k, sh, `${CG}/base`)).toBe(0);
    expect(mkdir(k, sh, `${CG}/base/c`)).toBe(0);
    const dir = stat(k, sh, `${CG}/base/c`) as { ino: number; mode: number };
    expect(dir.mode).toBe(0o40755);
    const modelled = new Set(listDir(k, sh, `${CG}/base/c`));
    let present = 0;
    for (const [name, off, mode] of fx.child) {
      // Files bpfsim does not model take their id but are absent (docs/kernel.md).
      if (!modelled.has(name)) continue;
      present++;
      expect([name, stat(k, sh, `${CG}/base/c/${name}`)]).toEqual([name, { ino: dir.ino + off, mode: 0o100000 | Number(mode) }]);
    }
    expect(present).toBe(modelled.size);
    expect(mkdir(k, sh, `${CG}/base/next`)).toBe(0);
    expect((stat(k, sh, `${CG}/base/next`) as { ino: number }).ino - dir.ino).toBe(fx.nextDirOffset);
  });

  test('fresh contents', () => {
    const k = newKernel();
    const sh = spawn(k);
    mkdir(k, sh, `${CG}/c`);
    for (const [name, content] of Object.entries(fx.fresh)) expect([name, readFile(k, sh, `${CG}/c/${name}`)]).toEqual([name, content]);
    const cpu = readFile(k, sh, `${CG}/c/cpu.stat`) as string;
    expect(cpu.trim().split('\n').map((l) => l.split(' ')[0])).toEqual(fx.freshCpuStat);
  });

  test('every recorded errno case', () => {
    const k = newKernel();
    const sh = spawn(k);
    const base = `${CG}/rec`;
    const c = `${base}/c`;
    mkdir(k, sh, base);
    mkdir(k, sh, c);
    const got: Record<string, number> = {};
    const e = (r: number): number => (r < 0 ? -r : 0);
    const w = (path: string, v: string): number => e(writeFile(k, sh, path, v));
    got['mkdir existing'] = e(mkdir(k, sh, c));
    got['mkdir over a file'] = e(mkdir(k, sh, `${c}/cgroup.procs`));
    const fd = k.syscall(sh, 'openat', [AT_FDCWD, `${c}/newfile`, O_CREAT | O_WRONLY, 0o644]).ret;
    got['create a file'] = e(fd);
    got['unlink a file'] = e(k.syscall(sh, 'unlink', [`${c}/cgroup.procs`]).ret);
    got['rmdir a file'] = e(rmdir(k, sh, `${c}/cgroup.procs`));
    mkdir(k, sh, `${c}/k`);
    got['rmdir with a child'] = e(rmdir(k, sh, c));
    rmdir(k, sh, `${c}/k`);
    for (const v of ['x', '-1', '', '0x10', '2147483648', 'max\n', '3']) got[`max.depth '${v.replace('\n', '\\n')}'`] = w(`${c}/cgroup.max.depth`, v);
    expect(readFile(k, sh, `${c}/cgroup.max.depth`)).toBe(fx.maxDepthAfter);
    w(`${c}/cgroup.max.depth`, '1');
    mkdir(k, sh, `${c}/d1`);
    got['mkdir past max.depth'] = e(mkdir(k, sh, `${c}/d1/d2`));
    rmdir(k, sh, `${c}/d1`);
    w(`${c}/cgroup.max.depth`, 'max');
    w(`${c}/cgroup.max.descendants`, '1');
    mkdir(k, sh, `${c}/e1`);
    got['mkdir past max.descendants'] = e(mkdir(k, sh, `${c}/e2`));
    expect((readFile(k, sh, `${c}/cgroup.stat`) as string).split('\n').filter((l) => l.startsWith('nr_descendants'))).toEqual(fx.statWithChild);
    rmdir(k, sh, `${c}/e1`);
    // The host's v2 hierarchy has no memory controller: in the model, it is not enabled in the parent.
    for (const v of ['+bogus', 'memory', '+memory', '-memory', '', '  ']) got[`subtree_control '${v}'`] = w(`${c}/cgroup.subtree_control`, v);
    for (const v of ['abc', '-1', '999999999']) got[`cgroup.procs '${v}'`] = w(`${c}/cgroup.procs`, v);
    for (const v of ['0', '2', 'x']) got[`cgroup.kill '${v}'`] = w(`${c}/cgroup.kill`, v);
    const sleeper = spawn(k, sh);
    w(`${c}/cgroup.procs`, String(sleeper.pid));
    expect(readFile(k, sh, `${c}/cgroup.procs`)).toBe(`${sleeper.pid}\n`);
    expect(readFile(k, sh, `${c}/cgroup.events`)).toBe(fx.eventsPopulated);
    expect(readFile(k, sh, `/proc/${sleeper.pid}/cgroup`)).toBe(`${fx.procCgroup.replace('/BASE', '/rec')}\n`);
    got['rmdir populated'] = e(rmdir(k, sh, c));
    mkdir(k, sh, `${base}/c2`);
    got['cgroup.threads across cgroups'] = w(`${base}/c2/cgroup.threads`, String(sleeper.pid));
    got['cgroup.procs same cgroup'] = w(`${c}/cgroup.procs`, String(sleeper.pid));
    w(`${c}/cgroup.kill`, '1');
    const st = k.syscall(sh, 'wait4', [sleeper.pid, { out: 4 }, 0, 0]);
    expect(st.ret).toBe(sleeper.pid);
    expect(new DataView(st.outs[0].buffer, st.outs[0].byteOffset).getInt32(0, true) & 0x7f).toBe(fx.killedBy);
    expect(readFile(k, sh, `${c}/cgroup.events`)).toBe(fx.eventsAfterKill);
    got['rmdir after kill'] = e(rmdir(k, sh, c));
    expect(got).toEqual(fx.cases);
  });
});

describe('tasks and cgroups', () => {
  test('fork inherits the cgroup; /proc/PID/cgroup; the helpers see the ids', () => {
    const k = newKernel();
    const sh = spawn(k);
    expect(readFile(k, sh, '/proc/self/cgroup')).toBe('0::/\n');
    mkdir(k, sh, `${CG}/a`);
    mkdir(k, sh, `${CG}/a/b`);
    expect(writeFile(k, sh, `${CG}/a/b/cgroup.procs`, '0')).toBe(1);
    const child = k.syscall(sh, 'fork').child!;
    expect(readFile(k, child, `/proc/${child.tgid}/cgroup`)).toBe('0::/a/b\n');
    const a = stat(k, sh, `${CG}/a`) as { ino: number };
    const b = stat(k, sh, `${CG}/a/b`) as { ino: number };
    expect(child.cgroupId).toBe(BigInt(b.ino));
    expect(child.cgroupAncestors).toEqual([1n, BigInt(a.ino), BigInt(b.ino)]);
    expect(readFile(k, sh, `${CG}/a/b/cgroup.procs`)).toBe(`${sh.tgid}\n${child.tgid}\n`);
    expect(readFile(k, sh, `${CG}/a/cgroup.events`)).toBe('populated 1\nfrozen 0\n');
    expect(readFile(k, sh, `${CG}/a/cgroup.procs`)).toBe('');
  });

  test('a cgroup namespace: paths from its root, and "/.." steps above it', () => {
    const k = newKernel();
    const sh = spawn(k);
    mkdir(k, sh, `${CG}/ct`);
    mkdir(k, sh, `${CG}/other`);
    writeFile(k, sh, `${CG}/ct/cgroup.procs`, '0');
    const CLONE_NEWCGROUP = 0x02000000;
    expect(k.syscall(sh, 'unshare', [CLONE_NEWCGROUP]).ret).toBe(0);
    expect(readFile(k, sh, '/proc/self/cgroup')).toBe('0::/\n');
    const host = k.world.init;
    expect(readFile(k, host, `/proc/${sh.tgid}/cgroup`)).toBe('0::/ct\n');
    const peer = spawn(k);
    writeFile(k, host, `${CG}/other/cgroup.procs`, String(peer.tgid));
    expect(readFile(k, sh, `/proc/${peer.tgid}/cgroup`)).toBe('0::/../other\n');
    // Moving a task from outside the namespace root is ENOENT for the namespaced writer.
    expect(writeFile(k, sh, `${CG}/ct/cgroup.procs`, String(peer.tgid))).toBe(-Errno.ENOENT);
  });

  test('zombies do not populate a cgroup; kernel threads cannot move', () => {
    const k = newKernel();
    const sh = spawn(k);
    mkdir(k, sh, `${CG}/z`);
    const c = k.syscall(sh, 'fork').child!;
    writeFile(k, sh, `${CG}/z/cgroup.procs`, String(c.tgid));
    k.syscall(c, 'exit', [3]);
    expect(c.state).toBe('zombie');
    expect(readFile(k, sh, `${CG}/z/cgroup.events`)).toBe('populated 0\nfrozen 0\n');
    // Writing a zombie's pid succeeds and moves nothing.
    expect(writeFile(k, sh, `${CG}/cgroup.procs`, String(c.tgid))).toBe(String(c.tgid).length);
    expect(rmdir(k, sh, `${CG}/z`)).toBe(0);
    expect(readFile(k, sh, `/proc/${c.tgid}/cgroup`)).toBe('0::/z (deleted)\n');
    expect(writeFile(k, sh, `${CG}/cgroup.procs`, '2')).toBe(-Errno.EINVAL);
    expect(k.syscall(sh, 'wait4', [c.tgid, 0, WAIT.ALL, 0]).ret).toBe(c.tgid);
    expect(SIG.SIGKILL).toBe(9);
  });

  test('permissions: a user cannot make cgroups or move tasks; rmdir of the mount point is EBUSY', () => {
    const k = newKernel();
    const sh = spawn(k);
    mkdir(k, sh, `${CG}/p`);
    const user = k.syscall(sh, 'fork').child!;
    expect(k.syscall(user, 'setuid', [1000]).ret).toBe(0);
    expect(mkdir(k, user, `${CG}/p/x`)).toBe(-Errno.EACCES);
    expect(writeFile(k, user, `${CG}/p/cgroup.procs`, '0')).toBe(-Errno.EACCES);
    expect(rmdir(k, sh, CG)).toBe(-Errno.EBUSY);
  });
});

/** A reference model of the tree rules, independent of the kernel's code, for generated sequences. */
describe('generated trees of mkdir, rmdir, moves and limits', () => {
  test('errnos and ids over 40 seeded sequences of 60 operations', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const k = newKernel(`tree-${seed}`);
      const sh = spawn(k);
      const procs: number[] = [];
      for (let i = 0; i < 3; i++) procs.push(spawn(k, sh).tgid);
      let x = seed * 7919;
      const rnd = (n: number): number => {
        x = (x * 1103515245 + 12345) & 0x7fffffff;
        return x % n;
      };
      // Reference: path -> { depth limit, descendants limit, tasks }.
      const ref = new Map<string, { maxDepth: number; maxDesc: number; tasks: Set<number> }>([['', { maxDepth: Infinity, maxDesc: Infinity, tasks: new Set(procs.concat(sh.tgid)) }]]);
      const where = new Map<number, string>(procs.concat(sh.tgid).map((p) => [p, '']));
      const children = (p: string): string[] => [...ref.keys()].filter((q) => q !== p && q.startsWith(p + '/') && !q.slice(p.length + 1).includes('/'));
      const descendants = (p: string): number => [...ref.keys()].filter((q) => q.startsWith(p + '/')).length;
      const populated = (p: string): boolean => [...ref.entries()].some(([q, v]) => (q === p || q.startsWith(p + '/')) && v.tasks.size > 0);
      const ids: number[] = [];
      for (let op = 0; op < 60; op++) {
        const paths = [...ref.keys()];
        const p = paths[rnd(paths.length)];
        const kind = rnd(5);
        const ctx = `seed ${seed} op ${op}`;
        if (kind <= 1) {
          const name = `n${rnd(4)}`;
          const q = `${p}/${name}`;
          let want = 0;
          if (ref.has(q)) want = -Errno.EEXIST;
          else {
            let level = 0;
            for (let a: string | undefined = p; a !== undefined; a = a === '' ? undefined : a.slice(0, a.lastIndexOf('/'))) {
              const r = ref.get(a)!;
              if (descendants(a) >= r.maxDesc || level >= r.maxDepth) want = -Errno.EAGAIN;
              level++;
            }
          }
          expect([ctx, 'mkdir', q, mkdir(k, sh, `${CG}${q}`)]).toEqual([ctx, 'mkdir', q, want]);
          if (want === 0) {
            ref.set(q, { maxDepth: Infinity, maxDesc: Infinity, tasks: new Set() });
            const id = (stat(k, sh, `${CG}${q}`) as { ino: number }).ino;
            ids.push(id);
          }
        } else if (kind === 2 && p !== '') {
          const want = children(p).length || populated(p) ? -Errno.EBUSY : 0;
          expect([ctx, 'rmdir', p, rmdir(k, sh, `${CG}${p}`)]).toEqual([ctx, 'rmdir', p, want]);
          if (want === 0) ref.delete(p);
        } else if (kind === 3) {
          const pid = procs[rnd(procs.length)];
          const n = writeFile(k, sh, `${CG}${p}/cgroup.procs`, String(pid));
          expect([ctx, 'move', n]).toEqual([ctx, 'move', String(pid).length]);
          ref.get(where.get(pid)!)!.tasks.delete(pid);
          ref.get(p)!.tasks.add(pid);
          where.set(pid, p);
          const t = k.world.findTask(pid)!;
          expect(t.cgroupId).toBe(BigInt((stat(k, sh, `${CG}${p}`) as { ino: number }).ino));
        } else if (p !== '') {
          const lim = rnd(3);
          const file = rnd(2) ? 'cgroup.max.depth' : 'cgroup.max.descendants';
          expect(writeFile(k, sh, `${CG}${p}/${file}`, String(lim))).toBe(1);
          if (file === 'cgroup.max.depth') ref.get(p)!.maxDepth = lim;
          else ref.get(p)!.maxDesc = lim;
        }
      }
      // kernfs ids are never reused: every cgroup made got a new, larger one.
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(new Set(ids).size).toBe(ids.length);
    }
  });
});

describe('clone3 CLONE_INTO_CGROUP', () => {
  /** struct clone_args (88 bytes, CLONE_ARGS_SIZE_VER2): flags, exit_signal and the cgroup fd. */
  const args = (flags: bigint, cgroupFd: number): Uint8Array => {
    const b = new Uint8Array(88);
    const dv = new DataView(b.buffer);
    dv.setBigUint64(0, flags, true);
    dv.setBigUint64(32, 17n, true); // SIGCHLD
    dv.setBigUint64(80, BigInt(cgroupFd), true);
    return b;
  };
  const INTO = 0x2_0000_0000n;

  test('the child starts in the cgroup the fd names; a non-cgroup fd is EBADF; the no-internal-process rule holds', () => {
    const k = newKernel('into');
    const sh = spawn(k);
    mkdir(k, sh, `${CG}/box`);
    const dfd = k.syscall(sh, 'openat', [AT_FDCWD, `${CG}/box`, 0o200000, 0]).ret;
    const r = k.syscall(sh, 'clone3', [args(INTO, dfd), 88]);
    expect(r.ret).toBeGreaterThan(0);
    expect(readFile(k, sh, `/proc/${r.ret}/cgroup`)).toBe('0::/box\n');
    expect(readFile(k, sh, '/proc/self/cgroup')).toBe('0::/\n');
    const tmp = k.syscall(sh, 'openat', [AT_FDCWD, '/tmp', 0o200000, 0]).ret;
    expect(k.syscall(sh, 'clone3', [args(INTO, tmp), 88]).ret).toBe(-Errno.EBADF);
    expect(k.syscall(sh, 'clone3', [args(INTO, 99), 88]).ret).toBe(-Errno.EBADF);
    writeFile(k, sh, `${CG}/cgroup.subtree_control`, '+memory');
    mkdir(k, sh, `${CG}/box/in`);
    writeFile(k, sh, `${CG}/box/cgroup.procs`, String(r.ret));
    writeFile(k, sh, `${CG}/cgroup.procs`, String(r.ret));
    expect(writeFile(k, sh, `${CG}/box/cgroup.subtree_control`, '+memory')).toBe(7);
    expect(k.syscall(sh, 'clone3', [args(INTO, dfd), 88]).ret).toBe(-Errno.EBUSY);
  });
});

test('statfs of /sys/fs/cgroup: cgroup2 (CGROUP2_SUPER_MAGIC, no blocks or files, as the 6.18 machine shows)', () => {
  const k = newKernel('statfs');
  const sh = spawn(k);
  const r = k.syscall(sh, 'statfs', [CG, { out: 120 }]);
  expect(r.ret).toBe(0);
  const dv = new DataView(r.outs[0].buffer, r.outs[0].byteOffset);
  expect([dv.getBigInt64(0, true), dv.getBigInt64(8, true), dv.getBigUint64(16, true), dv.getBigUint64(40, true), dv.getBigInt64(64, true)]).toEqual([0x63677270n, 4096n, 0n, 0n, 255n]);
});

test('reading a write-only file or writing a read-only one (as root, past the mode bits) is EINVAL; reads are whole snapshots', () => {
  const k = newKernel('rw');
  const sh = spawn(k);
  mkdir(k, sh, `${CG}/f`);
  expect(readFile(k, sh, `${CG}/f/cgroup.kill`)).toBe(-Errno.EINVAL);
  expect(writeFile(k, sh, `${CG}/f/cgroup.events`, '1')).toBe(-Errno.EINVAL);
  expect(writeFile(k, sh, `${CG}/f/cgroup.procs`, 'x'.repeat(4097))).toBe(-Errno.E2BIG);
  // A read in pieces sees the contents of when it started at offset 0.
  const fd = k.syscall(sh, 'openat', [AT_FDCWD, `${CG}/f/cgroup.max.depth`, 0, 0]).ret;
  expect(new TextDecoder().decode(k.syscall(sh, 'read', [fd, { out: 2 }, 2]).outs[0])).toBe('ma');
  writeFile(k, sh, `${CG}/f/cgroup.max.depth`, '7');
  expect(new TextDecoder().decode(k.syscall(sh, 'read', [fd, { out: 8 }, 8]).outs[0]).slice(0, 2)).toBe('x\n');
  expect(k.syscall(sh, 'pread64', [fd, { out: 8 }, 8, 0]).ret).toBe(2);
});
