/**
 * BPF iterators (kernel/bpf/bpf_iter.c): LINK_CREATE binds an iter program to its target
 * (`iter/task` → bpf_iter_task), each BPF_ITER_CREATE opens a session — a seq_file — and
 * every read of it runs the program once per object the target walks, then once more with a
 * NULL object when the walk ends (the "stop" call), exactly as bpf_seq_read orders it: the
 * 32 KiB buffer, an object whose output overflowed is shown again by the next read, a program
 * returning 1 retries its object (-EAGAIN when nothing was read yet), meta->seq_num counts the
 * objects shown, meta->session_id counts opened sessions.
 */
import { BpfAttachType, Errno } from '@bpfsim/uapi';
import type { Kernel } from '../../kernel/kernel';
import { TaskStruct } from '../../kernel/task_struct';
import type { KObj } from '../../mm/kobj';
import type { BpfLink } from '../link';
import type { BpfProg } from '../prog';
import { runProgram } from '../run';
import { SeqBuf } from './seq_file';

/** union bpf_iter_link_info as bpfsim takes it (task: tid, pid, pid_fd). */
export interface IterLinkInfo {
  tid?: number;
  pid?: number;
  pidFd?: number;
}

/** What a target needs from the kernel: tasks and their kernel objects, and the reader. */
export interface IterKernel {
  readonly kernel: Kernel;
  /** The task reading the iterator (current). */
  reader(): TaskStruct;
  /** task_struct's address in kernel memory, its fields written from the model. */
  taskAddr(t: TaskStruct): bigint;
}

/** One object of a walk: the u64 context slots after `meta`. */
export type IterObject = readonly bigint[];

/** A walk's position and state (the target's seq_file private data). */
export interface IterCursor {
  /** seq_ops->start: the object at the saved position, or undefined at the end. */
  start(): IterObject | undefined;
  /** seq_ops->next: move past the current object. */
  next(): IterObject | undefined;
}

/** A registered target (struct bpf_iter_reg): its name, context size and seq operations. */
export interface IterTarget<A = unknown> {
  /** "task" for bpf_iter_task. */
  name: string;
  /** u64 context slots after meta (bpf_iter__task: 1). */
  slots: number;
  /** attach_target: check the link info; the target's aux, or -errno. */
  attach(info: IterLinkInfo, k: IterKernel): A | number;
  /** init_seq_private: a cursor for a new session. */
  open(aux: A, k: IterKernel): IterCursor;
}

const targets = new Map<string, IterTarget>();

/** bpf_iter_reg_target. */
export function registerIterTarget<A>(t: IterTarget<A>): void {
  targets.set(t.name, t as IterTarget);
}

/** The registered targets' names, sorted. */
export function iterTargetNames(): string[] {
  return [...targets.keys()].sort();
}

/** MAX_ITER_OBJECTS: objects one read visits before bailing out. */
const MAX_ITER_OBJECTS = 1_000_000;
const BPF_ITER_FUNC_PREFIX = 'bpf_iter_';

/** An iter link (struct bpf_iter_link): the program, its target and the target's aux info. */
export class BpfIterLink {
  constructor(readonly link: BpfLink, readonly target: IterTarget, readonly aux: unknown) {}
}

/** Per kernel: the iter links by link id, sessions by their seq_file address, the session counter. */
interface IterState {
  links: Map<number, BpfIterLink>;
  bySeq: Map<bigint, BpfIterSession>;
  sessions: bigint;
}
const states = new WeakMap<Kernel, IterState>();
function state(k: Kernel): IterState {
  let s = states.get(k);
  if (!s) states.set(k, (s = { links: new Map(), bySeq: new Map(), sessions: 0n }));
  return s;
}

/** The target an iter program was loaded for (its attach_btf_id names `bpf_iter_<target>`), or undefined. */
export function iterTargetOf(k: Kernel, prog: BpfProg): IterTarget | undefined {
  if (prog.expectedAttachType !== BpfAttachType.TRACE_ITER || !prog.attachBtfId) return undefined;
  const name = iterKernel(k).kernelBtfType(prog.attachBtfId)?.name;
  if (!name?.startsWith(BPF_ITER_FUNC_PREFIX)) return undefined;
  return targets.get(name.slice(BPF_ITER_FUNC_PREFIX.length));
}

/**
 * bpf_iter_link_attach: a link for an iter program. Returns the iter link or -errno (EINVAL for a
 * target fd or flags, ENOENT for a target bpfsim does not register, the target's own errno).
 */
export function iterLinkAttach(k: Kernel, link: BpfLink, opts: { targetFd?: number; flags?: number; info?: IterLinkInfo }): BpfIterLink | number {
  if (opts.targetFd || opts.flags) return -Errno.EINVAL;
  const target = iterTargetOf(k, link.prog);
  if (!target) return -Errno.ENOENT;
  const aux = target.attach(opts.info ?? {}, iterKernel(k));
  if (typeof aux === 'number') return aux;
  const il = new BpfIterLink(link, target, aux);
  state(k).links.set(link.id, il);
  return il;
}

/** The iter link behind a link, if it is one (bpf_link_is_iter). */
export function iterLinkOf(k: Kernel, link: BpfLink): BpfIterLink | undefined {
  return state(k).links.get(link.id);
}

/** bpf_iter_new_fd's session: open it (prepare_seq_file). */
export function openIterSession(k: Kernel, il: BpfIterLink): BpfIterSession {
  const ik = iterKernel(k);
  const s = state(k);
  s.sessions += 1n;
  const session = new BpfIterSession(ik, il, s.sessions);
  s.bySeq.set(session.seqAddr, session);
  return session;
}

/** The session whose seq_file is at `addr` (bpf_seq_printf's first argument). */
export function iterSessionAt(k: Kernel, addr: bigint): BpfIterSession | undefined {
  return states.get(k)?.bySeq.get(addr);
}

/** One opened iterator: a seq_file read with bpf_seq_read's rules. */
export class BpfIterSession {
  readonly seq = new SeqBuf();
  private readonly cursor: IterCursor;
  private readonly seqObj: KObj;
  private readonly meta: KObj;
  private seqNum = 0n;
  private doneStop = false;
  private closed = false;

  constructor(private readonly k: IterKernel, readonly link: BpfIterLink, readonly sessionId: bigint) {
    const objs = k.kernel.world.taskObjects.objs;
    this.seqObj = objs.alloc('seq_file');
    this.meta = objs.alloc('bpf_iter_meta');
    this.meta.set('seq', this.seqObj.addr);
    this.meta.set('session_id', sessionId);
    this.cursor = link.target.open(link.aux, k);
  }

  get seqAddr(): bigint {
    return this.seqObj.addr;
  }

  /** The program of the session (the link's, as prepare_seq_file took it). */
  get prog(): BpfProg {
    return this.link.link.prog;
  }

  /** read(2) of `size` bytes: the bytes, or -errno when nothing could be read. */
  read(size: number): Uint8Array | number {
    if (this.closed) return -Errno.EBADF;
    const seq = this.seq;
    if (seq.count) {
      const n = Math.min(seq.count, size);
      const out = seq.buf.slice(seq.from, seq.from + n);
      seq.count -= n;
      seq.from += n;
      return out;
    }
    seq.from = 0;
    let err = 0;
    let p = this.cursor.start();
    if (p) {
      err = this.show(p, false);
      if (err < 0 || seq.overflowed) {
        seq.count = 0;
        return err || -Errno.E2BIG;
      }
      for (let objs = 0; ; ) {
        objs++;
        const offs = seq.count;
        p = this.cursor.next();
        if (!p) break;
        this.seqNum++;
        if (seq.count >= size) break;
        if (objs >= MAX_ITER_OBJECTS) {
          if (offs === 0) return -Errno.EAGAIN;
          break;
        }
        err = this.show(p, false);
        if (err < 0 || seq.overflowed) {
          seq.count = offs;
          if (offs === 0) return err || -Errno.E2BIG;
          break;
        }
      }
    }
    // stop: the program runs once more with a NULL object when the walk ended
    const offs = seq.count;
    if (!p) {
      this.show(undefined, true);
      if (!seq.overflowed) this.doneStop = true;
      else {
        seq.count = offs;
        if (offs === 0) return -Errno.E2BIG;
      }
    }
    const n = Math.min(seq.count, size);
    const out = seq.buf.slice(0, n);
    seq.count -= n;
    seq.from = n;
    return out;
  }

  /** Everything the iterator gives until end of file (what `cat` of a pinned iterator prints). */
  readAll(chunk = 4096): Uint8Array | number {
    const parts: Uint8Array[] = [];
    for (;;) {
      const r = this.read(chunk);
      if (typeof r === 'number') return r;
      if (r.length === 0) break;
      parts.push(r);
    }
    return Buffer.concat(parts);
  }

  close(): void {
    this.closed = true;
    states.get(this.k.kernel)?.bySeq.delete(this.seqAddr);
  }

  /** seq_ops->show (and stop's NULL show): run the program on {meta, object...}; 0 or -EAGAIN. */
  private show(obj: IterObject | undefined, inStop: boolean): number {
    if (inStop && this.doneStop) return 0;
    this.meta.set('seq_num', this.seqNum);
    const slots = this.link.target.slots;
    const ctx = new Uint8Array(8 * (1 + slots));
    const dv = new DataView(ctx.buffer);
    dv.setBigUint64(0, this.meta.addr, true);
    for (let i = 0; i < slots; i++) dv.setBigUint64(8 * (i + 1), obj?.[i] ?? 0n, true);
    const k = this.k.kernel;
    const prev = k.current;
    k.current = this.k.reader();
    try {
      const o = runProgram(k, this.prog, { ctx: { bytes: ctx, writable: false, struct: `bpf_iter__${this.link.target.name}` } }, `iter/${this.link.target.name}`);
      return (o.r0 & 0xffffffffn) === 0n ? 0 : -Errno.EAGAIN;
    } finally {
      k.current = prev;
    }
  }
}

/** The narrow view of the kernel targets get. */
function iterKernel(k: Kernel): IterKernel & { kernelBtfType(id: number): { name: string } | undefined } {
  return {
    kernel: k,
    reader: () => {
      // current when it is a task of the world (not the default task of a bare kernel)
      const cur = k.current;
      return cur instanceof TaskStruct ? cur : k.world.init;
    },
    taskAddr: (t) => k.world.taskObjects.sync(t).addr,
    kernelBtfType: (id) => k.world.taskObjects.objs.btf.types[id],
  };
}
