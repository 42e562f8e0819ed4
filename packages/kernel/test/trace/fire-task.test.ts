/**
 * The world's tasks mirrored into task_struct objects laid out by the profile BTF
 * (src/trace/task-objects.ts): the fields follow fork, exec, prctl(PR_SET_NAME), setuid, thread
 * creation, unshare of a pid namespace and exit; bpf_get_current_task returns the object.
 */
import { checkModelledFields, isFieldModelled, CLONE, Kernel, type KObj, type TaskStruct } from '../../src';

const NEWPID = 0x20000000;

function setup() {
  const k = new Kernel({ seed: 'mirror', cpus: 2 });
  const objs = k.world.taskObjects;
  const view = (t: TaskStruct): KObj => objs.sync(t);
  const deref = (o: KObj, field: string, struct: string): KObj => {
    const addr = o.get(field);
    const found = objs.objs.objectAt(addr);
    expect(found?.struct).toBe(struct);
    return found!;
  };
  return { k, objs, view, deref };
}

test('pid, tgid, comm, parent links, cred, mm and flags follow the model', () => {
  const { k, view, deref } = setup();
  const init = k.world.init;
  const c = k.syscall(init, 'fork').child!;
  let o = view(c);
  expect([o.get('pid'), o.get('tgid'), o.string('comm')]).toEqual([BigInt(c.pid), BigInt(c.pid), 'init']);
  expect(o.get('real_parent')).toBe(init.taskAddr);
  expect(o.get('group_leader')).toBe(c.taskAddr);
  expect(o.get('flags') & 0x40n).toBe(0x40n); // PF_FORKNOEXEC until exec
  expect(o.get('start_time')).toBe(c.startTime);
  expect(k.syscall(c, 'execve', ['/bin/ls', ['ls', '-l'], ['A=1']]).ret).toBe(0);
  o = view(c);
  expect([o.string('comm'), o.get('flags') & 0x40n]).toEqual(['ls', 0n]);
  // mm->arg_start..arg_end is argv in the process's user memory.
  const mm = deref(o, 'mm', 'mm_struct');
  const start = mm.get('arg_start');
  const args = c.mm!.copyFromUser(start, Number(mm.get('arg_end') - start))!;
  expect(Buffer.from(args).toString('latin1')).toBe('ls\0-l\0');
  const env = c.mm!.copyFromUser(mm.get('env_start'), Number(mm.get('env_end') - mm.get('env_start')))!;
  expect(Buffer.from(env).toString('latin1')).toBe('A=1\0');
  k.syscall(c, 'prctl', [15, 'renamed-worker-process']);
  expect(view(c).string('comm')).toBe('renamed-worker-');
  // setuid gives a new cred; cred and real_cred point at it.
  expect(k.syscall(c, 'setuid', [1000]).ret).toBe(0);
  o = view(c);
  const cred = deref(o, 'cred', 'cred');
  expect(o.get('real_cred')).toBe(o.get('cred'));
  expect(['uid.val', 'euid.val', 'suid.val', 'fsuid.val', 'gid.val'].map((f) => cred.get(f))).toEqual([1000n, 1000n, 1000n, 1000n, 0n]);
  expect(cred.get('cap_effective.val')).toBe(0n);
  // A thread: its own pid, the process's tgid and group leader.
  const th = k.syscall(c, 'clone', [CLONE.VM | CLONE.FS | CLONE.FILES | CLONE.SIGHAND | CLONE.THREAD, 0, 0, 0, 0]).child!;
  const to = view(th);
  expect([to.get('pid'), to.get('tgid'), to.get('group_leader'), to.get('mm')]).toEqual([BigInt(th.pid), BigInt(c.pid), c.taskAddr, o.get('mm')]);
  // Exit: exit_code is the wait status, the state a zombie's.
  k.syscall(th, 'exit', [0]);
  k.syscall(c, 'exit_group', [7]);
  o = view(c);
  expect([o.get('exit_code'), o.get('exit_state'), o.get('flags') & 4n, o.get('mm')]).toEqual([0x700n, 0x20n, 4n, 0n]);
});

test('nsproxy and thread_pid: namespace inode numbers and the pid at each level', () => {
  const { k, view, deref } = setup();
  const c = k.syscall(k.world.init, 'fork').child!;
  expect(k.syscall(c, 'unshare', [NEWPID]).ret).toBe(0);
  const g = k.syscall(c, 'fork').child!;
  const o = view(g);
  const pid = deref(o, 'thread_pid', 'pid');
  expect(pid.get('level')).toBe(1n);
  expect([pid.get('numbers[0].nr'), pid.get('numbers[1].nr')]).toEqual([BigInt(g.pid), 1n]);
  const ns1 = deref(pid, 'numbers[1].ns', 'pid_namespace');
  expect([ns1.get('level'), ns1.get('ns.inum')]).toEqual([1n, BigInt(g.pidNamespace.inum)]);
  const nsp = deref(o, 'nsproxy', 'nsproxy');
  const uts = deref(nsp, 'uts_ns', 'uts_namespace');
  expect(uts.get('ns.inum')).toBe(BigInt(g.nsproxy.uts.inum));
  expect(deref(nsp, 'pid_ns_for_children', 'pid_namespace').get('level')).toBe(1n);
});

test('bpf_get_current_task(_btf) is the current task\'s object, synced on the call', () => {
  const { k } = setup();
  const c = k.syscall(k.world.init, 'fork').child!;
  k.syscall(c, 'prctl', [15, 'x']);
  // The helper as a program calls it, with the syscall's task current.
  const helpers = require('../../src/bpf/helpers/task').taskHelpers;
  const addr = helpers.bpf_get_current_task({ kernel: k });
  expect(addr).toBe(c.taskAddr);
  expect(k.world.taskObjects.objs.objectAt(addr)!.string('comm')).toBe('x');
});

test('the mirrored fields are declared modelled, and every declaration names a real field', () => {
  for (const [s, f] of [['task_struct', 'real_parent'], ['task_struct', 'comm'], ['task_struct', '__state'], ['cred', 'uid.val'], ['mm_struct', 'arg_start'], ['pid', 'numbers[1].nr'], ['nsproxy', 'pid_ns_for_children']]) {
    expect(`${s}.${f}: ${isFieldModelled(s, f)}`).toBe(`${s}.${f}: true`);
  }
  expect(isFieldModelled('task_struct', 'se.sum_exec_runtime')).toBe(false);
  expect(checkModelledFields()).toEqual([]);
});
