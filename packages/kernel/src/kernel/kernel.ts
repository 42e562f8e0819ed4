/**
 * The simulated kernel: clock, random streams, CPUs, the current task, the
 * kernel trace, one address space for everything programs can point at, and
 * the bpf() subsystem. Deterministic from its seed.
 */
import { MapMemoryBudget, DEFAULT_MAP_MEMORY_LIMIT } from '../bpf/maps/memcg';
import { AddressSpace, type Engine } from '@bpfsim/vm';
import { BpfSubsystem } from '../bpf/bpf';
import { loadBpfObject, type LoadedObject, type LoadObjectOptions } from '../bpf/object';
import type { BpfObject, Btf, KconfigValue } from '@bpfsim/loader';
import { DEFAULT_RELEASE, defaultKconfig } from './kconfig';
import { bpfSyscall, type BpfAttrs, type BpfCommandName, type BpfResult } from '../bpf/syscall';
import { HelperOverrides } from '../bpf/helpers';
import { HookRegistry, type BpfLink } from '../bpf/link';
import type { VerifyFn } from '../bpf/prog-load';
import { runProgram, type RunCtx, type RunOutcome } from '../bpf/run';
import { Clock, type ClockOptions } from './clock';
import { Rng } from './rng';
import { Scheduler } from './sched';
import { defaultTask, type Task } from './task';
import { KernelTrace, type TraceOptions } from './trace';
import { World, type WorldOptions } from './world';
import { bootWorld } from './boot';
import type { TaskStruct } from './task_struct';
import { KernelTracepoints } from '../trace/fire';
import { BlockDevice } from '../block/blk-mq';
import { Writeback } from '../block/writeback';
import { Syscalls, implementedSyscalls, type SysArg, type SyscallResult } from '../syscalls/syscalls';
import { Kprobes } from '../trace/kprobes';
import { Network } from '../net/network';
import { bpfFromUser } from '../bpf/sys-bpf';
import type { BpfProg } from '../bpf/prog';

export interface KernelOptions {
  /** Seed of every random stream (default "bpfsim"). */
  seed?: string | number;
  /** Simulated CPUs, all possible and online (default 4). */
  cpus?: number;
  clock?: ClockOptions;
  trace?: TraceOptions;
  /** Fields of the initial current task to change. */
  task?: Partial<Task>;
  /** The verifier BPF_PROG_LOAD uses (default @bpfsim/verifier's verify). */
  verifier?: VerifyFn;
  /**
   * Programs are loaded to learn the verifier's verdict, not to run (`bpfsim verify`): a helper bpfsim
   * cannot run yet does not refuse the load; running such a program fails with a typed error instead.
   */
  verifyOnly?: boolean;
  /** Modelled cost of one executed instruction in virtual ns (default 1). */
  nsPerInsn?: bigint;
  /** Instruction budget of one run before it is stopped (default 10,000,000). */
  maxInsnsPerRun?: number;
  /** VM engine programs run on: 'compiled' (default; JavaScript per program) or 'interp' (the reference interpreter). */
  vmEngine?: Engine;
  /** The release uname reports and LINUX_KERNEL_VERSION encodes (default 6.18.0). */
  release?: string;
  /** `.kconfig` values to add or change (CONFIG_*, LINUX_*). */
  kconfig?: Readonly<Record<string, KconfigValue>>;
  /** The kernel's BTF, the target of CO-RE relocations (default: none; CO-RE accesses are then poisoned, as libbpf does). */
  btf?: Btf;
  /** The process world (booted on first use of `kernel.world` or `kernel.syscall`). */
  world?: WorldOptions;
  /**
   * BPF trampolines: fentry/fexit/fmod_ret programs load and run, as on Linux 6.18 with them
   * (default true). false refuses them with EPERM before verifying, as this project's reference
   * machine does (differential tests).
   */
  trampolines?: boolean;
  /**
   * Total map memory in bytes (the kernel's estimate of each map, as memlock): past it, map
   * creation and BPF_F_NO_PREALLOC hash inserts fail with ENOMEM, as a memcg limit makes them.
   * Default 1 GiB (DEFAULT_MAP_MEMORY_LIMIT).
   */
  mapMemoryLimit?: number;
}

/** What a hook fire returns per attached program. */
export interface HookRun extends RunOutcome {
  link: BpfLink;
}

export class Kernel {
  /** The map-memory budget every map is charged to (bpf/maps/memcg.ts). */
  readonly mapMemory: MapMemoryBudget;
  readonly seed: string;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly sched: Scheduler;
  readonly trace: KernelTrace;
  readonly mem = new AddressSpace();
  /** The task programs see as current (the process/syscall layer will switch it). */
  current: Task;
  readonly verifier: VerifyFn | undefined;
  readonly nsPerInsn: bigint;
  readonly maxInsnsPerRun: number;
  readonly vmEngine: Engine;
  /** Replace helpers' behaviour for tests (see bpf/helpers/overrides.ts). */
  readonly helpers = new HelperOverrides();
  /** Attach points: `hooks.fire(name, link => ctx)` runs every program attached to `name`. */
  readonly hooks: HookRegistry<RunCtx, HookRun>;
  readonly bpf: BpfSubsystem;
  readonly release: string;
  /** What `.kconfig` externs of loaded objects read. */
  readonly kconfig: Readonly<Record<string, KconfigValue>>;
  readonly btf: Btf | undefined;
  /** See KernelOptions.verifyOnly. */
  readonly verifyOnly: boolean;
  /** See KernelOptions.trampolines. */
  readonly trampolines: boolean;
  /** kprobes, kretprobes and fentry/fexit on the modelled kernel functions (trace/kprobes.ts). */
  readonly kprobes: Kprobes;

  private worldState: World | undefined;
  private networkState: Network | undefined;

  /**
   * The network: the net namespaces processes live in (init_net first). Made on first use;
   * the first `new Network(kernel)` becomes it when made before.
   */
  get network(): Network {
    return (this.networkState ??= new Network(this));
  }
  /** Called by the Network constructor: the first network made for this kernel is the world's. */
  adoptNetwork(n: Network): void {
    this.networkState ??= n;
  }
  private syscalls: Syscalls | undefined;
  private readonly worldOpts: WorldOptions | undefined;

  /** Processes, namespaces and the file system, booted on first use (init, kthreadd, per-CPU kernel threads). */
  get world(): World {
    if (!this.worldState) {
      const w = new World({ mem: this.mem, clock: this.clock, rng: this.rng, cpus: this.sched.cpus, release: this.release, initNet: () => this.network.init }, this.worldOpts);
      const tracepoints = new KernelTracepoints(this, () => w.taskObjects);
      w.events = tracepoints;
      w.kprobes = this.kprobes;
      w.bpf = (cmd, attr, size, user) => bpfFromUser(this.bpf, cmd, attr, size, user);
      w.runBpf = (prog, bytes, struct, hook) => runProgram(this, prog as BpfProg, { ctx: { bytes, struct } }, hook).r0;
      bootWorld(w);
      // The scheduler's switches and wakeups become sched:* tracepoints (after boot: nobody traced it).
      if (w.rq) w.rq.events = tracepoints;
      // The root file system's disk (vda): writeback of dirty data goes through its request queue.
      w.writeback = new Writeback(new BlockDevice({
        clock: this.clock, rng: this.rng.stream('block'), objs: () => w.taskObjects.objs,
        running: (cpu) => w.rq?.current(cpu) ?? w.swapper, events: tracepoints,
      }));
      this.worldState = w;
    }
    return this.worldState;
  }

  /** A syscall made by `task` (x86-64 name or number); it becomes `current` for the call. */
  syscall(task: TaskStruct, which: string | number, args: readonly SysArg[] = []): SyscallResult {
    if (!this.syscalls) this.syscalls = new Syscalls(this.world, (t) => (this.current = t));
    return this.syscalls.call(task, which, args);
  }

  constructor(opts: KernelOptions = {}) {
    this.worldOpts = opts.world;
    this.release = opts.release ?? DEFAULT_RELEASE;
    this.kconfig = { ...defaultKconfig(this.release), ...opts.kconfig };
    this.btf = opts.btf;
    this.verifyOnly = opts.verifyOnly ?? false;
    this.trampolines = opts.trampolines ?? true;
    this.kprobes = new Kprobes(this, implementedSyscalls, () => this.world.taskObjects);
    this.seed = String(opts.seed ?? 'bpfsim');
    this.clock = new Clock(opts.clock);
    this.rng = new Rng(this.seed);
    this.sched = new Scheduler(opts.cpus ?? 4, this.rng.stream('sched'));
    this.trace = new KernelTrace(opts.trace);
    this.current = { ...defaultTask(), ...opts.task };
    this.verifier = opts.verifier;
    this.nsPerInsn = opts.nsPerInsn ?? 1n;
    this.maxInsnsPerRun = opts.maxInsnsPerRun ?? 10_000_000;
    this.vmEngine = opts.vmEngine ?? 'compiled';
    this.hooks = new HookRegistry<RunCtx, HookRun>((link, ctx) => ({
      ...runProgram(this, link.prog, { ...ctx, cookie: ctx.cookie ?? link.cookie }, link.hook),
      link,
    }));
    this.mapMemory = new MapMemoryBudget(opts.mapMemoryLimit ?? DEFAULT_MAP_MEMORY_LIMIT);
    this.bpf = new BpfSubsystem(this);
  }

  /** bpf(2): `cmd` by name ("MAP_CREATE") or number; ret is an fd/0 or -errno. */
  bpfSyscall<K extends BpfCommandName>(cmd: K | number, attr: BpfAttrs[K]): BpfResult {
    return bpfSyscall(this, cmd, attr);
  }

  /** Load an object file (ELF bytes or a parsed BpfObject) as libbpf's bpf_object__load does. */
  loadObject(object: Uint8Array | BpfObject, opts?: LoadObjectOptions): LoadedObject {
    return loadBpfObject(this, object, opts);
  }
}
