/**
 * The bpf() object model of one kernel: the fd table, object ids, maps,
 * programs, links, bpffs, perf events, and trace_pipe. Methods named after
 * bpf() commands return what the syscall returns (an fd / 0, or a negative
 * errno); syscall.ts dispatches `bpf(cmd, attr)` onto them and object.ts builds
 * libbpf-style handles on top.
 */
import { BpfAttachType, Errno } from '@bpfsim/uapi';
import type { Kernel } from '../kernel/kernel';
import { BpfFs } from './bpffs';
import type { RunEnv } from './helpers/types';
import type { BpfLink } from './link';
import { createMap } from './maps/create';
import type { BatchResult, BpfMap, FdKind, KernelObjectRef, MapAttr, PerfEventRef } from './maps/map';
import type { BpfProg } from './prog';
import { progLoad, type ProgLoadAttr, type ProgLoadResult } from './prog-load';
import { progTestRun, type TestRunAttr, type TestRunResult } from './test-run';
import type { CgroupBpfFds, CgroupFdRef } from './cgroup';
import { Cgroup } from '../cgroup/cgroup';
import { walk } from '../fs/namei';
import { iterLinkAttach, iterLinkOf, openIterSession, type BpfIterSession, type IterLinkInfo } from './iter/bpf_iter';
import './iter/task_iter';
import { openSampler, type PerfSampler, type SamplerAttr } from '../trace/perf_event';
import { printkState, traceContextPrefix } from '../trace/trace_output';

/** ENOLINK: the kernel's answer for detaching a link that is already detached. */
const ENOLINK = 67;

export type FdObject =
  | { kind: 'map'; obj: BpfMap }
  | { kind: 'prog'; obj: BpfProg }
  | { kind: 'link'; obj: BpfLink }
  | { kind: 'perf_event'; obj: PerfEventRef }
  | { kind: 'cgroup'; obj: CgroupFdRef }
  | { kind: 'iter'; obj: BpfIterSession }
  | { kind: 'perf_sampler'; obj: PerfSampler };

/** What BPF_OBJ_PIN can pin. */
export type Pinnable = Exclude<FdObject, { kind: 'perf_event' } | { kind: 'iter' } | { kind: 'cgroup' }>;

export interface LinkCreateAttr {
  progFd: number;
  /** The hook name the kernel fires ("xdp:lo", "tracepoint/syscalls/sys_enter_openat", ...). */
  hook: string;
  attachType?: number;
  cookie?: bigint;
  /** link_create.target_fd and flags (an iterator link takes neither). */
  targetFd?: number;
  flags?: number;
  /** link_create.iter_info: an iterator's bpf_iter_link_info (task: tid, pid, pid_fd). */
  iterInfo?: IterLinkInfo;
}

export class BpfSubsystem {
  private readonly fds = new Map<number, FdObject>();
  private readonly ids = { prog: 0, map: 0, link: 0, perf_event: 0 };
  private readonly progs = new Map<number, BpfProg>();
  private readonly maps = new Map<number, BpfMap>();
  /** Pinned objects under /sys/fs/bpf. */
  readonly fs = new BpfFs<Pinnable>();
  /** trace_pipe lines, in order (also in the kernel trace as 'trace_pipe' records). */
  readonly tracePipe: string[] = [];
  /** The last redirect a program asked for (bpf_redirect*), for the packet path. */
  lastRedirect: { helper: string; target: string; flags: bigint } | undefined;
  /** The network's dev_get_by_index for devmap values (set by net/network.ts; absent: no devices). */
  resolveIfindex: ((ifindex: number) => KernelObjectRef | undefined) | undefined;

  constructor(private readonly kernel: Kernel) {}

  allocId(kind: keyof BpfSubsystem['ids']): number {
    return ++this.ids[kind];
  }

  // ---- fds ----

  /** The lowest free fd from 3 on (0-2 are stdio), as the kernel's fd table gives. */
  private install(o: FdObject): number {
    let fd = 3;
    while (this.fds.has(fd)) fd++;
    this.fds.set(fd, o);
    return fd;
  }
  fdObject(fd: number): FdObject | undefined {
    return this.fds.get(fd);
  }
  mapByFd(fd: number): BpfMap | undefined {
    const o = this.fds.get(fd);
    return o?.kind === 'map' ? o.obj : undefined;
  }
  progByFd(fd: number): BpfProg | undefined {
    const o = this.fds.get(fd);
    return o?.kind === 'prog' ? o.obj : undefined;
  }
  progById(id: number): BpfProg | undefined {
    return this.progs.get(id);
  }
  mapById(id: number): BpfMap | undefined {
    return this.maps.get(id);
  }
  installProg(prog: BpfProg): number {
    this.progs.set(prog.id, prog);
    return this.install({ kind: 'prog', obj: prog });
  }
  /** A new fd for an object (BPF_*_GET_FD_BY_ID, OBJ_GET). */
  dup(o: FdObject): number {
    return this.install(o);
  }
  /** close(2). Objects stay alive while anything refers to them (bpfsim never frees loaded programs). */
  close(fd: number): number {
    const o = this.fds.get(fd);
    if (o?.kind === 'iter' || o?.kind === 'perf_sampler') o.obj.close();
    return this.fds.delete(fd) ? 0 : -Errno.EBADF;
  }

  private resolveFd(fd: number, kind: FdKind): KernelObjectRef | number {
    const o = this.fds.get(fd);
    if (!o) return -Errno.EBADF;
    if (o.kind !== kind) return -Errno.EINVAL;
    return o.obj as KernelObjectRef;
  }

  // ---- maps ----

  mapCreate(attr: MapAttr): number {
    const m = createMap(attr, {
      memory: this.kernel.mem,
      possibleCpus: this.kernel.sched.cpus,
      allocId: () => this.allocId('map'),
      rng: () => this.kernel.rng.stream('map_hash_seed').u32(),
      resolveFd: (fd, kind) => this.resolveFd(fd, kind),
      resolveIfindex: (ifindex) => this.resolveIfindex?.(ifindex),
      budget: this.kernel.mapMemory,
    });
    if (typeof m === 'number') return m;
    this.maps.set(m.id, m);
    return this.install({ kind: 'map', obj: m });
  }

  private withMap<T>(fd: number, f: (m: BpfMap) => T): T | number {
    const m = this.mapByFd(fd);
    return m ? f(m) : -Errno.EBADF;
  }
  mapLookupElem(fd: number, key: Uint8Array | null, flags = 0, valueIn?: Uint8Array): Uint8Array | number {
    return this.withMap(fd, (m) => m.lookup(key, flags, valueIn));
  }
  mapUpdateElem(fd: number, key: Uint8Array | null, value: Uint8Array, flags = 0): number {
    return this.withMap(fd, (m) => m.update(key, value, flags));
  }
  mapDeleteElem(fd: number, key: Uint8Array | null): number {
    return this.withMap(fd, (m) => m.delete(key));
  }
  mapGetNextKey(fd: number, key: Uint8Array | null): Uint8Array | number {
    return this.withMap(fd, (m) => m.getNextKey(key));
  }
  mapLookupAndDeleteElem(fd: number, key: Uint8Array | null, flags = 0): Uint8Array | number {
    return this.withMap(fd, (m) => m.lookupAndDelete(key, flags));
  }
  mapFreeze(fd: number): number {
    return this.withMap(fd, (m) => m.freeze());
  }
  mapLookupBatch(fd: number, inBatch: Uint8Array | null, count: number, del = false, elemFlags = 0): BatchResult | number {
    return this.withMap(fd, (m) => m.lookupBatch(inBatch, count, del, elemFlags));
  }
  mapUpdateBatch(fd: number, keys: Uint8Array, values: Uint8Array, elemFlags = 0): { count: number; error: number } | number {
    return this.withMap(fd, (m) => m.updateBatch(keys, values, elemFlags));
  }
  mapDeleteBatch(fd: number, keys: Uint8Array): { count: number; error: number } | number {
    return this.withMap(fd, (m) => m.deleteBatch(keys));
  }

  // ---- programs ----

  progLoad(attr: ProgLoadAttr): ProgLoadResult {
    return progLoad(this.kernel, attr);
  }
  progTestRun(fd: number, attr: TestRunAttr): TestRunResult | number {
    const p = this.progByFd(fd);
    return p ? progTestRun(this.kernel, p, attr) : -Errno.EBADF;
  }

  // ---- bpffs ----

  objPin(fd: number, path: string): number {
    const o = this.fds.get(fd);
    if (!o || o.kind === 'perf_event' || o.kind === 'cgroup') return -Errno.EBADF;
    if (o.kind === 'iter' || o.kind === 'perf_sampler') return -Errno.EINVAL; // bpf_fd_probe_obj: not a prog, map or link
    return this.fs.pin(path, o);
  }
  objGet(path: string): number {
    const o = this.fs.get(path);
    return typeof o === 'number' ? o : this.install(o);
  }

  // ---- links ----

  linkCreate(attr: LinkCreateAttr): number {
    const prog = this.progByFd(attr.progFd);
    if (!prog) return -Errno.EBADF;
    if (!attr.hook) return -Errno.EINVAL;
    // kprobe/fentry hooks: the function must exist and be modelled (trace/kprobes.ts)
    const bad = this.kernel.kprobes.checkAttach(prog, attr.hook);
    if (bad < 0) return bad;
    const link: BpfLink = {
      id: this.allocId('link'), prog, hook: attr.hook, attachType: attr.attachType ?? prog.expectedAttachType, cookie: attr.cookie ?? 0n, detached: false,
    };
    // An iterator is not fired by a hook: its link is read through BPF_ITER_CREATE sessions.
    if (prog.expectedAttachType === BpfAttachType.TRACE_ITER) {
      const il = iterLinkAttach(this.kernel, link, { targetFd: attr.targetFd, flags: attr.flags, info: attr.iterInfo });
      if (typeof il === 'number') return il;
      this.kernel.trace.emit({ kind: 'attach', t: this.kernel.clock.monotonicNs.toString(), prog: prog.label, hook: link.hook, linkId: link.id });
      return this.install({ kind: 'link', obj: link });
    }
    this.kernel.hooks.add(link);
    this.kernel.trace.emit({ kind: 'attach', t: this.kernel.clock.monotonicNs.toString(), prog: prog.label, hook: link.hook, linkId: link.id });
    return this.install({ kind: 'link', obj: link });
  }
  linkDetach(fd: number): number {
    const o = this.fds.get(fd);
    if (!o || o.kind !== 'link') return -Errno.EBADF;
    const link = o.obj;
    if (iterLinkOf(this.kernel, link)) return -Errno.EOPNOTSUPP; // iter links have no detach op
    if (link.detached) return -ENOLINK;
    link.detached = true;
    this.kernel.hooks.remove(link);
    this.kernel.trace.emit({ kind: 'detach', t: this.kernel.clock.monotonicNs.toString(), prog: link.prog.label, hook: link.hook, linkId: link.id });
    return 0;
  }

  // ---- iterators ----

  /** BPF_ITER_CREATE: a new session (a seq_file fd) of an iterator link. */
  iterCreate(linkFd: number, flags = 0): number {
    if (flags) return -Errno.EINVAL;
    const o = this.fds.get(linkFd);
    if (!o || o.kind !== 'link') return -Errno.EBADF;
    const il = iterLinkOf(this.kernel, o.obj);
    if (!il) return -Errno.EINVAL;
    return this.install({ kind: 'iter', obj: openIterSession(this.kernel, il) });
  }

  /** read(2) of an iterator fd: the bytes (empty at end of file), or -errno. */
  iterRead(fd: number, size: number): Uint8Array | number {
    const o = this.fds.get(fd);
    if (!o || o.kind !== 'iter') return -Errno.EBADF;
    return o.obj.read(size);
  }

  // ---- cgroups (kernel/bpf/cgroup.c) ----

  /**
   * open(path, O_RDONLY|O_DIRECTORY) by the bpf()-calling process (root, in the world's root): an fd to a
   * cgroup2 directory for CGROUP_ARRAY slots and BPF_PROG_ATTACH; any other path that exists gives an fd
   * that is not a cgroup (EBADF where a cgroup is wanted).
   */
  cgroupOpen(path: string): number {
    const w = this.kernel.world;
    const ino = walk({ fs: w.init.fs, base: w.root, cred: w.init.cred }, path, true);
    if (typeof ino === 'number') return ino;
    const cg = ino.kobj instanceof Cgroup ? ino.kobj : undefined;
    return this.install({ kind: 'cgroup', obj: { id: cg ? Number(cg.id) : 0, cgroup: cg } });
  }
  /** The bpf fd table as the cgroup commands see it. */
  cgroupFds(): CgroupBpfFds {
    return {
      prog: (fd) => this.progByFd(fd),
      cgroup: (fd) => {
        const o = this.fds.get(fd);
        return o?.kind === 'cgroup' && o.obj.cgroup && !o.obj.cgroup.dead ? o.obj.cgroup : -Errno.EBADF;
      },
    };
  }

  // ---- perf events (what perf_buffer__new opens for a PERF_EVENT_ARRAY) ----

  /** perf_event_open of a BPF output event on `cpu`: an fd to store in a PERF_EVENT_ARRAY slot. */
  perfEventOpen(cpu: number): number {
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.kernel.sched.cpus) return -Errno.EINVAL;
    return this.install({ kind: 'perf_event', obj: { id: this.allocId('perf_event'), cpu } });
  }

  /**
   * perf_event_open of a sampling software event (cpu-clock) on one CPU, pid -1: an fd whose samples
   * run the program set on it (perfEventSetBpf). The running task of the CPU is the run queues'.
   */
  perfSamplerOpen(attr: SamplerAttr): number {
    const k = this.kernel;
    const s = openSampler(k, { running: (cpu) => k.world.rq?.current(cpu) ?? k.world.swapper }, attr);
    return typeof s === 'number' ? s : this.install({ kind: 'perf_sampler', obj: s });
  }

  /** ioctl(PERF_EVENT_IOC_SET_BPF) (and LINK_CREATE with a perf event target): the program sampling runs. */
  perfEventSetBpf(perfFd: number, progFd: number): number {
    const o = this.fds.get(perfFd);
    if (!o || o.kind !== 'perf_sampler') return -Errno.EBADF;
    const prog = this.progByFd(progFd);
    if (!prog) return -Errno.EBADF;
    return o.obj.setProg(prog);
  }

  // ---- trace_pipe ----

  /**
   * A bpf_trace_printk line as trace_pipe shows it: "%16s-%-7d [%03d] <flags> %5lu.%06lu: bpf_trace_printk: <text>"
   * (trace/trace_output.ts: the flags are the irq/preempt state of where the program runs).
   */
  tracePrintk(env: RunEnv, text: string): void {
    const t = this.kernel.current;
    const ns = this.kernel.clock.monotonicNs;
    const body = text.endsWith('\n') ? text.slice(0, -1) : text;
    const state = printkState(env.hook, env.prog.type);
    this.tracePipe.push(`${traceContextPrefix({ comm: t.comm.slice(0, 15), pid: t.pid, cpu: env.cpu, tsNs: ns, ...state })}bpf_trace_printk: ${body}`);
    this.kernel.trace.emit({ kind: 'trace_pipe', t: ns.toString(), cpu: env.cpu, pid: t.pid, comm: t.comm, text: body });
  }

  /** Everything loaded, for listings (ids ascending). */
  allMaps(): BpfMap[] {
    return [...this.maps.values()].sort((a, b) => a.id - b.id);
  }
  allProgs(): BpfProg[] {
    return [...this.progs.values()].sort((a, b) => a.id - b.id);
  }
}

