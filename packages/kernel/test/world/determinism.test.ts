/** The world is a function of the seed: pids, namespace inode numbers, addresses, AT_RANDOM bytes and the clock. */
import { CLONE } from '../../src';
import { newKernel, spawn } from './helpers';

function run(seed: string) {
  const k = newKernel({ seed });
  const sh = spawn(k);
  k.syscall(sh, 'unshare', [CLONE.NEWPID | CLONE.NEWUTS | CLONE.NEWNS]);
  const c = k.syscall(sh, 'fork').child!;
  k.syscall(c, 'execve', ['/bin/ls', ['ls', '-l'], ['A=1']]);
  const fd = k.syscall(c, 'open', ['/tmp/x', 0o101, 0o644]).ret;
  const st = k.syscall(c, 'fstat', [fd, { out: 144 }]).outs[0];
  const rnd = c.mm!.vmas.find((v) => v.kind === 'stack')!;
  return {
    pids: k.world.allTasks().map((t) => [t.pid, t.comm, t.taskAddr.toString()]),
    inums: [c.nsproxy.uts.inum, c.pidNamespace.inum, c.nsproxy.mnt.inum],
    stack: Buffer.from(k.mem.read(rnd.start, rnd.size)).toString('hex'),
    stat: Buffer.from(st).toString('hex'),
    clock: k.clock.monotonicNs.toString(),
  };
}

test('same seed, same world; another seed changes only what is random (AT_RANDOM)', () => {
  const a = run('one');
  expect(run('one')).toEqual(a);
  const b = run('two');
  expect(b.pids).toEqual(a.pids);
  expect(b.inums).toEqual(a.inums);
  expect(b.stat).toEqual(a.stat);
  expect(b.stack).not.toEqual(a.stack);
});
