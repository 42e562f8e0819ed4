/**
 * Path operations against the kernel: fixtures/fs-errno.json holds what Linux
 * returned for 26 operations on 35 paths of one tree (files, directories,
 * symlinks and symlink chains, unsearchable, read-only and sticky
 * directories, over-long names), as root and as uid 65534 — recorded by
 * fixtures/fs-errno-gen.py. Each case runs in the model the same way: a fresh
 * copy of the tree, umask 0, then the operation.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { O } from '../../src';
import type { Kernel, TaskStruct } from '../../src';
import { newKernel, spawn } from './helpers';

type Step = string[];
const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures/fs-errno.json'), 'utf8')) as { kernel: string; steps: Step[]; cases: [number, string, string, number][] };

function build(k: Kernel, t: TaskStruct, steps: Step[]): void {
  for (const s of steps) {
    let r: number;
    switch (s[0]) {
      case 'mkdir': r = k.syscall(t, 'mkdir', [s[1], parseInt(s[2], 8)]).ret; break;
      case 'file': {
        r = k.syscall(t, 'open', [s[1], O.CREAT | O.WRONLY, parseInt(s[2], 8)]).ret;
        if (r >= 0) {
          const b = new TextEncoder().encode(s[3]);
          k.syscall(t, 'write', [r, b, b.length]);
          r = k.syscall(t, 'close', [r]).ret;
        }
        break;
      }
      case 'symlink': r = k.syscall(t, 'symlink', [s[1], s[2]]).ret; break;
      case 'chown': r = k.syscall(t, 'lchown', [s[1], Number(s[2]), Number(s[3])]).ret; break;
      case 'chmod': r = k.syscall(t, 'chmod', [s[1], parseInt(s[2], 8)]).ret; break;
      default: throw new Error(`unknown step ${s[0]}`);
    }
    if (r < 0) throw new Error(`step ${s.join(' ')}: ${r}`);
  }
}

function op(k: Kernel, t: TaskStruct, o: string, p: string): number {
  const fd = (r: number) => (r < 0 ? r : 0);
  const call = (name: string, args: (number | string | { out: number })[]) => k.syscall(t, name, args).ret;
  switch (o) {
    case 'open_r': return fd(call('open', [p, O.RDONLY, 0]));
    case 'open_w': return fd(call('open', [p, O.WRONLY, 0]));
    case 'open_rw': return fd(call('open', [p, O.RDWR, 0]));
    case 'open_creat': return fd(call('open', [p, O.WRONLY | O.CREAT, 0o644]));
    case 'open_excl': return fd(call('open', [p, O.WRONLY | O.CREAT | O.EXCL, 0o644]));
    case 'open_dir': return fd(call('open', [p, O.RDONLY | O.DIRECTORY, 0]));
    case 'open_nofollow': return fd(call('open', [p, O.RDONLY | O.NOFOLLOW, 0]));
    case 'open_trunc': return fd(call('open', [p, O.WRONLY | O.TRUNC, 0]));
    case 'stat': return call('stat', [p, { out: 144 }]);
    case 'lstat': return call('lstat', [p, { out: 144 }]);
    case 'access_r': return call('access', [p, 4]);
    case 'access_w': return call('access', [p, 2]);
    case 'access_x': return call('access', [p, 1]);
    case 'access_f': return call('access', [p, 0]);
    case 'mkdir': return call('mkdir', [p, 0o755]);
    case 'rmdir': return call('rmdir', [p]);
    case 'unlink': return call('unlink', [p]);
    case 'chdir': return call('chdir', [p]);
    case 'readlink': return call('readlink', [p, { out: 256 }, 256]);
    case 'truncate': return call('truncate', [p, 0]);
    case 'chmod': return call('chmod', [p, 0o600]);
    case 'rename_from': return call('rename', [p, 'zz_new']);
    case 'rename_to': return call('rename', ['f', p]);
    case 'link_from': return call('link', [p, 'zz_link']);
    case 'link_to': return call('link', ['f', p]);
    case 'symlink_at': return call('symlink', ['tgt', p]);
  }
  throw new Error(`unknown op ${o}`);
}

test(`${fixture.cases.length} path operations return what the kernel returned (${fixture.kernel})`, () => {
  const k = newKernel({ seed: 'fs-errno' });
  const sh = spawn(k);
  expect(k.syscall(sh, 'mkdir', ['/t', 0o755]).ret).toBe(0);
  const mismatches: string[] = [];
  fixture.cases.forEach(([uid, o, p, want], n) => {
    const child = k.syscall(sh, 'fork').child!;
    const dir = `/t/${n}`;
    k.syscall(child, 'mkdir', [dir, 0o755]);
    k.syscall(child, 'chdir', [dir]);
    k.syscall(child, 'umask', [0]);
    build(k, child, fixture.steps);
    if (uid) {
      k.syscall(child, 'setgid', [uid]);
      k.syscall(child, 'setuid', [uid]);
    }
    const got = op(k, child, o, p);
    if (got !== want) mismatches.push(`uid ${uid} ${o}(${p.length > 40 ? `${p.slice(0, 12)}...(${p.length})` : JSON.stringify(p)}): kernel ${want}, bpfsim ${got}`);
    k.syscall(child, 'exit', [0]);
    k.syscall(sh, 'wait4', [child.pid, 0, 0, 0]);
  });
  expect(mismatches).toEqual([]);
});
