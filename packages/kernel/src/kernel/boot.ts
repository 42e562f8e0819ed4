/**
 * Boot (init/main.c rest_init, kernel/kthread.c): the idle task (pid 0,
 * swapper/0), init (pid 1, exec'ed from /sbin/init), kthreadd (pid 2) and,
 * per simulated CPU, the per-CPU kernel threads named as Linux names them.
 * The set and order of kernel threads is a model (docs/kernel.md); everything
 * is deterministic.
 */
import { Cred } from './cred';
import { CLONE } from './clone_flags';
import { copyProcess } from './fork';
import { execImage } from './exec';
import { Pid } from './pid';
import { SIG } from './signal';
import { SigHand, SignalStruct } from './signal_struct';
import { TaskStruct } from './task_struct';
import { World } from './world';
import { RunQueues } from './runqueue';
import { PidNamespace } from '../ns/pid_namespace';
import { NsProxy } from '../ns/nsproxy';
import { UtsNamespace } from '../ns/uts_namespace';
import { MntNamespace } from '../ns/mnt_namespace';
import { SimpleNamespace } from '../ns/simple_namespace';
import { FilesStruct } from '../fs/fdtable';
import { FsStruct } from '../fs/fs_struct';
import { makeRootfs, ROOTFS_DEV } from '../fs/rootfs';
import { onLastClose } from '../fs/close';
import { ProcFs } from '../fs/proc';
import { mountCgroup2 } from '../cgroup/mount';

/** Per-CPU kernel threads, in the order boot creates them for each CPU. */
export const PER_CPU_KTHREADS = ['cpuhp/%d', 'migration/%d', 'ksoftirqd/%d', 'kworker/%d:0', 'kworker/%d:0H'] as const;

const enc = new TextEncoder();

export function bootWorld(w: World): void {
  const now = w.clock.monotonicNs;
  const { sb, root } = makeRootfs(ROOTFS_DEV, now, w.opts.hostname ?? 'bpfsim');
  w.sb = sb;
  w.root = root;
  w.initPidNs = PidNamespace.initial(w.cpus);
  w.initNs = new NsProxy({
    mnt: MntNamespace.initial(root),
    uts: UtsNamespace.initial({
      sysname: 'Linux',
      nodename: w.opts.hostname ?? 'bpfsim',
      release: w.release,
      version: w.opts.version ?? '#1 SMP PREEMPT_DYNAMIC',
      machine: 'x86_64',
      domainname: w.opts.domainname ?? '(none)',
    }),
    ipc: new SimpleNamespace('ipc', undefined),
    net: w.initNet(),
    cgroup: new SimpleNamespace('cgroup', undefined),
    time: new SimpleNamespace('time', undefined),
    timeForChildren: new SimpleNamespace('time', undefined),
    pidForChildren: w.initPidNs,
  }).get();
  // procfs on /proc, numbering pids as the initial pid namespace does.
  w.procfs = new ProcFs(w, w.initPidNs);
  root.entries!.get('proc')!.proc = w.procfs.root();
  // cgroup2 on /sys/fs/cgroup.
  w.cgroups = mountCgroup2(w);
  // The two time namespaces of the initial set are one namespace.
  w.initNs.timeForChildren = w.initNs.time;
  w.initPidNs.get();
  const swapper = new TaskStruct(
    new Pid([{ nr: 0, ns: w.initPidNs }]),
    'swapper/0',
    Cred.root(),
    new SignalStruct(),
    new SigHand(),
    w.initNs.get(),
    new FsStruct(root, root, 0o022), // init_fs.umask
    new FilesStruct(1024, onLastClose(w)),
    undefined,
    { kthread: true, exitSignal: -1, taskAddr: w.allocTaskAddr() },
  );
  swapper.signal.threads.push(swapper);
  swapper.signal.live = 1;
  w.swapper = swapper;
  // The other CPUs' idle tasks (idle_threads_init): pid 0 as well, named swapper/N, in no pid table.
  const idle = [swapper];
  for (let cpu = 1; cpu < w.cpus; cpu++) {
    const t = new TaskStruct(swapper.pidStruct, `swapper/${cpu}`, Cred.root(), new SignalStruct(), new SigHand(), swapper.nsproxy, swapper.fs, swapper.files, undefined,
      { kthread: true, exitSignal: -1, taskAddr: w.allocTaskAddr() });
    t.signal.threads.push(t);
    t.signal.live = 1;
    idle.push(t);
  }
  w.rq = new RunQueues(idle);
  w.cgroups.attachInitial(swapper);
  w.attach(swapper);

  const init = copyProcess(w, swapper, { flags: CLONE.FS, exitSignal: SIG.SIGCHLD });
  const kthreadd = copyProcess(w, swapper, { flags: CLONE.FS | CLONE.FILES, exitSignal: SIG.SIGCHLD });
  if (typeof init === 'number' || typeof kthreadd === 'number') throw new Error('boot: could not create init or kthreadd');
  w.init = init;
  w.kthreadd = kthreadd;
  kthreadd.kthread = true;
  kthreadd.comm = 'kthreadd';
  for (let cpu = 0; cpu < w.cpus; cpu++) {
    for (const name of PER_CPU_KTHREADS) {
      const k = copyProcess(w, kthreadd, { flags: CLONE.FS | CLONE.FILES | CLONE.UNTRACED, exitSignal: SIG.SIGCHLD });
      if (typeof k === 'number') throw new Error(`boot: could not create ${name}`);
      k.kthread = true;
      k.comm = name.replace('%d', String(cpu));
    }
  }
  // init leads session 1 and process group 1, and runs /sbin/init with the kernel's envp_init.
  init.signal.pgrp = init.pidStruct;
  init.signal.session = init.pidStruct;
  init.signal.sessionLeader = true;
  init.fs = init.fs.copy();
  execImage(w, init, {
    filename: '/sbin/init',
    commName: 'init',
    argv: [enc.encode('/sbin/init')],
    envp: [enc.encode('HOME=/'), enc.encode('TERM=linux')],
  });
}
