/**
 * clone(2) flag combinations against the kernel: fixtures/clone-flags.json
 * holds what Linux answered for all 8192 combinations of 13 flags
 * (fixtures/clone-flags-gen.c); the model must give the same errno (or create
 * a task where the kernel did).
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { CLONE, SIG, WAIT } from '../../src';
import { newKernel, spawn } from './helpers';

const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures/clone-flags.json'), 'utf8')) as { kernel: string; cases: [number, number][] };

test(`every recorded flag combination gets the kernel's answer (${fixture.kernel})`, () => {
  const k = newKernel({ seed: 'clone-flags' });
  const sh = spawn(k);
  const mismatches: string[] = [];
  let created = 0;
  for (const [flags, errno] of fixture.cases) {
    const thread = (flags & CLONE.THREAD) !== 0;
    const r = k.syscall(sh, 'clone', [flags | (thread ? 0 : SIG.SIGCHLD), 0, 0, 0, 0]);
    const got = r.blocked ? 0 : r.ret < 0 ? -r.ret : 0;
    if (got !== errno) mismatches.push(`flags 0x${flags.toString(16)}: kernel ${errno}, bpfsim ${got}`);
    if (r.child) {
      created++;
      const pid = r.child.pidIn(sh.pidNamespace);
      k.syscall(r.child, 'exit', [0]);
      expect(sh.blocked).toBeUndefined(); // a vfork parent is released by the child's exit
      if (!thread) expect(k.syscall(sh, 'wait4', [pid, 0, WAIT.ALL, 0]).ret).toBe(pid);
    }
  }
  expect(mismatches).toEqual([]);
  expect(created).toBe(fixture.cases.filter(([, e]) => e === 0).length);
});
