import { Kernel } from '@bpfsim/kernel';
import { ProcWorld } from '@bpfsim/scenario';
import { bpfsim, matchers } from '../src';
import { failureOf, scenarioFile } from './paths';

expect.extend(matchers);

describe('toHaveCalledSyscall', () => {
  const r = bpfsim.scenario(scenarioFile('container', 'container.yaml'));

  test('finds the calls a scenario made, by name, pid, arguments and result', () => {
    expect(r).toHaveCalledSyscall('getpid', { pid: 200, ret: 1 });
    expect(r).toHaveCalledSyscall('getpid', { times: 3 });
    expect(r).toHaveCalledSyscall('readlink', { pid: 100, args: ['/proc/200/ns/pid', /^pid:\[\d+\]$/] });
    expect(r).toHaveCalledSyscall('kill', { pid: 200, errno: 'ESRCH' });
    expect(r).toHaveCalledSyscall('clone', { comm: 'bash', args: [/CLONE_NEWPID/] });
    expect(r).not.toHaveCalledSyscall('getpid', { pid: 100, ret: 1 });
    expect(r).not.toHaveCalledSyscall('openat', { errno: 'ENOENT' });
  });

  test('a failure lists the calls of that name', () => {
    const msg = failureOf(() => expect(r).toHaveCalledSyscall('getpid', { pid: 200, ret: 7 }));
    expect(msg).toContain('expected getpid (pid 200, = 7); 0 matching of 3 getpid calls:');
    expect(msg).toContain('sh[200] getpid() = 1');
    expect(failureOf(() => expect(r).not.toHaveCalledSyscall('getppid', { pid: 201 }))).toContain('ls[201] getppid() = 1');
    expect(failureOf(() => expect(r).toHaveCalledSyscall('getpid', { errno: 'ENOPE' }))).toContain('unknown errno ENOPE');
    expect(failureOf(() => expect(42).toHaveCalledSyscall('getpid'))).toContain('this matcher takes a scenario result');
  });

  test('an API run through a ProcWorld is checked the same way', () => {
    const pw = new ProcWorld(new Kernel({ seed: 1 }));
    const sh = pw.sys(0, pw.init, 'fork', []).child!;
    pw.sys(0, sh, 'openat', [-100, '/etc/hostname', 0]);
    pw.sys(0, sh, 'openat', [-100, '/nope', 0]);
    expect(pw).toHaveCalledSyscall('openat', { args: [-100, '/etc/hostname'], ret: 0 });
    expect(pw).toHaveCalledSyscall('openat', { args: [undefined, '/nope'], errno: 'ENOENT', times: 1 });
  });
});
