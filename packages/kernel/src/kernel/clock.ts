/**
 * The kernel's virtual clock. Time is a bigint count of nanoseconds since boot
 * (CLOCK_MONOTONIC); it moves only when something advances it (scenario
 * events, modelled program costs). Nothing reads the wall clock.
 */
export interface ClockOptions {
  /** CLOCK_MONOTONIC at creation (default 1 s after boot, so no timestamp is 0). */
  startNs?: bigint;
  /** Nanoseconds spent suspended: CLOCK_BOOTTIME = monotonic + this (default 0). */
  suspendedNs?: bigint;
  /** CLOCK_REALTIME at boot (default 2026-01-01T00:00:00Z). */
  realtimeAtBootNs?: bigint;
  /** CLOCK_TAI - CLOCK_REALTIME (default 37 s, the current leap-second offset). */
  taiOffsetNs?: bigint;
  /** Kernel tick, for the coarse clocks (default 4 ms: CONFIG_HZ=250). */
  tickNs?: bigint;
}

/** A pending clock timer. */
export interface ClockTimer {
  readonly at: bigint;
  readonly fn: () => void;
  readonly seq: number;
}

export class Clock {
  private mono: bigint;
  private suspended: bigint;
  readonly realtimeAtBootNs: bigint;
  readonly taiOffsetNs: bigint;
  readonly tickNs: bigint;

  constructor(opts: ClockOptions = {}) {
    this.mono = opts.startNs ?? 1_000_000_000n;
    this.suspended = opts.suspendedNs ?? 0n;
    this.realtimeAtBootNs = opts.realtimeAtBootNs ?? 1_767_225_600_000_000_000n;
    this.taiOffsetNs = opts.taiOffsetNs ?? 37_000_000_000n;
    this.tickNs = opts.tickNs ?? 4_000_000n;
    if (this.mono < 0n || this.suspended < 0n || this.tickNs <= 0n) throw new RangeError('clock: times must be non-negative and the tick positive');
  }

  /** CLOCK_MONOTONIC (bpf_ktime_get_ns). */
  get monotonicNs(): bigint {
    return this.mono;
  }
  /** CLOCK_BOOTTIME (bpf_ktime_get_boot_ns): monotonic plus time suspended. */
  get boottimeNs(): bigint {
    return this.mono + this.suspended;
  }
  /** CLOCK_MONOTONIC_COARSE (bpf_ktime_get_coarse_ns): monotonic at the last tick. */
  get coarseNs(): bigint {
    return this.mono - (this.mono % this.tickNs);
  }
  /** CLOCK_TAI (bpf_ktime_get_tai_ns). */
  get taiNs(): bigint {
    return this.realtimeAtBootNs + this.boottimeNs + this.taiOffsetNs;
  }
  /** jiffies (INITIAL_JIFFIES aside): ticks since boot. */
  get jiffies(): bigint {
    return this.boottimeNs / this.tickNs;
  }

  /**
   * Move time forward by `ns` (>= 0). Timers falling due on the way run at their own time, in
   * time order (then in the order they were set); time they themselves spend (a program's cost)
   * is added to the advance.
   */
  advance(ns: bigint | number): void {
    const d = BigInt(ns);
    if (d < 0n) throw new RangeError(`clock: cannot go back in time (advance by ${d} ns)`);
    if (this.firing || this.timers.length === 0) {
      this.mono += d;
      if (this.firing) this.spent += d;
      return;
    }
    let target = this.mono + d;
    this.firing = true;
    try {
      while (this.timers.length && this.timers[0].at <= target) {
        const t = this.timers.shift()!;
        if (t.at > this.mono) this.mono = t.at;
        this.spent = 0n;
        t.fn();
        target += this.spent;
      }
    } finally {
      this.firing = false;
    }
    if (target > this.mono) this.mono = target;
  }

  /** Move time forward to `ns` (no-op when already later). */
  advanceTo(ns: bigint): void {
    if (ns > this.mono) this.advance(ns - this.mono);
  }

  private readonly timers: ClockTimer[] = [];
  private firing = false;
  private spent = 0n;
  private timerSeq = 0;

  /** Run `fn` when monotonic time reaches `at` (hrtimer-like; at or before now: at the next advance). */
  addTimer(at: bigint, fn: () => void): ClockTimer {
    const t: ClockTimer = { at, fn, seq: this.timerSeq++ };
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1].at > at) i--;
    this.timers.splice(i, 0, t);
    return t;
  }

  /** Cancel a timer (no-op when it already ran). */
  cancelTimer(t: ClockTimer): void {
    const i = this.timers.indexOf(t);
    if (i >= 0) this.timers.splice(i, 1);
  }

  /** Simulate a suspend of `ns`: boottime moves, monotonic does not. */
  suspend(ns: bigint | number): void {
    const d = BigInt(ns);
    if (d < 0n) throw new RangeError(`clock: negative suspend ${d}`);
    this.suspended += d;
  }
}
