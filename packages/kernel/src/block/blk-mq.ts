/**
 * A simulated block device and its request queue (block/blk-mq.c, block/blk-core.c as tracing sees
 * them): one disk, `vda` (254:0 as on the recording machine), with a queue of depth one in front of a
 * seeded service-time model. A request goes through the kernel's tracepoints in order —
 * block_io_start and block_rq_insert when submitted (in the submitter's context), block_rq_issue when
 * the device takes it (at once when idle, else when the request before it completes),
 * block_rq_complete and block_io_done on completion (interrupt context: whatever the submitting CPU
 * runs then) — and lives in kernel memory as a struct request (q → request_queue → gendisk), so
 * biosnoop/biolatency-style tools read __sector, __data_len, cmd_flags and the disk's major/minor.
 */
import type { Clock } from '../kernel/clock';
import type { RngStream } from '../kernel/rng';
import type { TaskStruct } from '../kernel/task_struct';
import type { KernelObjects, KObj } from '../mm/kobj';

export type BlockOp = 'read' | 'write' | 'flush';

/** enum req_op and the req_flag_bits of the profile BTF. */
const REQ_OP = { read: 0, write: 1, flush: 2 } as const;
export const REQ_SYNC = 1 << 11;
export const REQ_META = 1 << 12;
export const REQ_FUA = 1 << 17;
export const REQ_PREFLUSH = 1 << 18;

export const SECTOR_SIZE = 512;

/** Service-time model: a fixed cost per request plus transfer time, plus seeded jitter (ns). */
export interface DiskModel {
  /** Per-request cost (command, seek or flash latency), default 80 µs. */
  baseNs: bigint;
  /** Transfer time per byte, default 2 ns (500 MB/s). */
  nsPerByte: bigint;
  /** Jitter drawn uniformly in [0, jitterNs) from the "block" stream, default 20 µs. */
  jitterNs: number;
}

export const DEFAULT_DISK: DiskModel = { baseNs: 80_000n, nsPerByte: 2n, jitterNs: 20_000 };

/** What the block layer reports (the tracing layer turns these into block:* tracepoints). */
export interface BlockEvents {
  request(event: 'block_io_start' | 'block_rq_insert' | 'block_rq_issue' | 'block_rq_complete' | 'block_io_done', current: TaskStruct, cpu: number, rq: BlkRequest): void;
  /** The completion interrupt and the softirq it raises (irq:irq_handler_entry/exit, irq:softirq_*). */
  interrupt?(phase: 'irq_entry' | 'softirq_raise' | 'irq_exit' | 'softirq_entry' | 'softirq_exit', current: TaskStruct, cpu: number, irq: VirtioIrq): void;
}

/** The device's interrupt line and the softirq its completions run in (BLOCK_SOFTIRQ). */
export interface VirtioIrq {
  irq: number;
  name: string;
  vec: number;
}

/** enum softirq vectors (include/linux/interrupt.h): BLOCK_SOFTIRQ. */
export const BLOCK_SOFTIRQ = 4;

/** What the block layer needs from the kernel. */
export interface BlockHost {
  clock: Clock;
  rng: RngStream;
  objs: () => KernelObjects;
  /** The task a CPU runs (completions happen in its context). */
  running(cpu: number): TaskStruct;
  events?: BlockEvents;
}

/** A request (struct request). */
export class BlkRequest {
  issueNs: bigint | undefined;
  completeNs: bigint | undefined;
  private obj: KObj | undefined;

  constructor(
    readonly disk: BlockDevice,
    readonly op: BlockOp,
    readonly sector: bigint,
    readonly bytes: number,
    readonly flags: number,
    /** The submitting task and its CPU. */
    readonly task: TaskStruct,
    readonly cpu: number,
    readonly startNs: bigint,
  ) {}

  get cmdFlags(): number {
    return REQ_OP[this.op] | this.flags;
  }

  /** blk_fill_rwbs: the op letter, then F (FUA), A (readahead), S (sync), M (meta); a preflush leads with F. */
  get rwbs(): string {
    let s = this.flags & REQ_PREFLUSH ? 'F' : '';
    s += this.op === 'write' ? 'W' : this.op === 'read' ? 'R' : 'F';
    if (this.flags & REQ_FUA) s += 'F';
    if (this.flags & REQ_SYNC) s += 'S';
    if (this.flags & REQ_META) s += 'M';
    return s;
  }

  /** Its struct request in kernel memory (made on first use), fields written as they change. */
  object(objs: KernelObjects): KObj {
    if (!this.obj) {
      this.obj = objs.alloc('request');
      this.obj.set('q', this.disk.queueObject(objs).addr);
      this.obj.set('__sector', this.sector);
      this.obj.set('__data_len', BigInt(this.bytes));
      this.obj.set('cmd_flags', BigInt(this.cmdFlags));
      this.obj.set('start_time_ns', this.startNs);
    }
    if (this.issueNs !== undefined) this.obj.set('io_start_time_ns', this.issueNs);
    return this.obj;
  }
}

export class BlockDevice {
  private queueObj: KObj | undefined;
  /** Requests waiting for the device (FIFO), and the one it serves. */
  private readonly waiting: BlkRequest[] = [];
  private serving: BlkRequest | undefined;
  /** Completed requests, in completion order (the model's record; tools see tracepoints). */
  readonly completed: BlkRequest[] = [];

  constructor(
    private readonly host: BlockHost,
    readonly name = 'vda',
    readonly major = 254,
    readonly minor = 0,
    readonly model: DiskModel = DEFAULT_DISK,
  ) {}

  /** The kernel's internal dev_t (MKDEV: major << 20 | minor), as block tracepoints print it. */
  get devt(): number {
    return ((this.major << 20) | this.minor) >>> 0;
  }

  queueObject(objs: KernelObjects): KObj {
    if (!this.queueObj) {
      const disk = objs.alloc('gendisk');
      disk.set('major', BigInt(this.major));
      disk.set('first_minor', BigInt(this.minor));
      disk.set('disk_name', this.name);
      this.queueObj = objs.alloc('request_queue');
      this.queueObj.set('disk', disk.addr);
    }
    return this.queueObj;
  }

  /** submit_bio → blk_mq_submit_bio for one request of `task` on `cpu`. */
  submit(op: BlockOp, sector: bigint, bytes: number, flags: number, task: TaskStruct, cpu: number): BlkRequest {
    const r = new BlkRequest(this, op, sector, bytes, flags, task, cpu, this.host.clock.monotonicNs);
    this.host.events?.request('block_io_start', task, cpu, r);
    this.host.events?.request('block_rq_insert', task, cpu, r);
    this.waiting.push(r);
    if (!this.serving) this.dispatch(task);
    return r;
  }

  /** The device is idle: take the next request (in `current`'s context: submitter or completion). */
  private dispatch(current?: TaskStruct): void {
    const r = this.waiting.shift();
    if (!r) return;
    this.serving = r;
    r.issueNs = this.host.clock.monotonicNs;
    this.host.events?.request('block_rq_issue', current ?? this.host.running(r.cpu), r.cpu, r);
    const m = this.model;
    const jitter = m.jitterNs > 0 ? BigInt(this.host.rng.below(m.jitterNs)) : 0n;
    const service = m.baseNs + m.nsPerByte * BigInt(r.bytes) + jitter;
    this.serviceEnd = r.issueNs + service;
    this.host.clock.addTimer(this.serviceEnd, () => this.complete(r));
  }

  private complete(r: BlkRequest): void {
    r.completeNs = this.host.clock.monotonicNs;
    this.serving = undefined;
    this.completed.push(r);
    // The virtqueue interrupt arrives on the submitting CPU, in whatever that CPU runs; the handler
    // raises BLOCK_SOFTIRQ, which completes the request (blk_mq_raise_softirq → blk_done_softirq).
    const cur = this.host.running(r.cpu);
    const ev = this.host.events;
    ev?.interrupt?.('irq_entry', cur, r.cpu, this.irq);
    ev?.interrupt?.('softirq_raise', cur, r.cpu, this.irq);
    ev?.interrupt?.('irq_exit', cur, r.cpu, this.irq);
    ev?.interrupt?.('softirq_entry', cur, r.cpu, this.irq);
    ev?.request('block_rq_complete', cur, r.cpu, r);
    ev?.request('block_io_done', cur, r.cpu, r);
    ev?.interrupt?.('softirq_exit', cur, r.cpu, this.irq);
    this.dispatch();
  }

  /** virtio-blk's request virtqueue interrupt (a model choice of number; its name as /proc/interrupts shows it). */
  readonly irq: VirtioIrq = { irq: 25, name: 'virtio1-req.0', vec: BLOCK_SOFTIRQ };

  /** When the request being served completes (undefined when the device is idle). */
  get completionAt(): bigint | undefined {
    return this.serving ? this.serviceEnd : undefined;
  }
  private serviceEnd = 0n;

  /** Requests not completed yet. */
  get pending(): number {
    return this.waiting.length + (this.serving ? 1 : 0);
  }
}
