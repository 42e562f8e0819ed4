/**
 * The verifier log buffer with the kernel's quirks: position resets when a path is abandoned
 * (bpf_vlog_reset keeps earlier bytes), and `; <state>` appended to the instruction line at the
 * kernel's alignment (vlog_alignment). Text is kept in committed chunks plus a short tail so that
 * the frequent small resets near the end stay cheap.
 *
 * With a user buffer of `size` bytes (log_size) it keeps what kernel/bpf/log.c leaves there: the
 * first size - 1 bytes with BPF_LOG_FIXED, otherwise the last size - 1 (a rotating window whose
 * start only moves forward, except that a reset before it empties it). `lenMax` is the kernel's
 * len_max (log_true_size): the longest the log ever was, plus its NUL. Positions count characters,
 * which are the kernel's bytes for ASCII text (everything but non-ASCII line info).
 */
export class VLog {
  private chunks: string[] = [];
  /** Logical position of the first stored character (rotating mode drops what left the window). */
  private base = 0;
  /** Logical position where `tail` starts. */
  private committed = 0;
  private tail = '';
  /** BPF_LOG_FIXED: characters written past the buffer's end (counted, not kept). */
  private over = 0;
  /** The kernel's start_pos: the rotating window's first position. */
  private start = 0;
  /** The kernel's len_max. */
  lenMax = 0;
  /**
   * @param size the user buffer's size in bytes (log_size); Infinity keeps everything
   * @param fixed BPF_LOG_FIXED: keep the beginning instead of the end
   */
  constructor(readonly level: 0 | 1 | 2, readonly size = Infinity, readonly fixed = false) {}
  get pos(): number { return this.committed + this.tail.length + this.over; }
  /** The log as the user's buffer holds it after bpf_vlog_finalize. */
  get buf(): string {
    this.flush();
    const all = this.chunks.join('');
    return this.fixed || this.size === Infinity ? all : all.slice(this.start - this.base);
  }
  /** The log did not fit in the buffer (bpf_vlog_finalize's -ENOSPC; size 0 is no buffer at all). */
  get truncated(): boolean { return this.size > 0 && this.lenMax > this.size; }
  write(s: string): void {
    if (!this.level) return;
    if (this.fixed && this.size !== Infinity) {
      // keep the first size - 1 characters; count the rest (over > 0 only once the buffer is full)
      const room = Math.max(0, this.size - 1 - (this.committed + this.tail.length));
      if (s.length > room) {
        this.tail += s.slice(0, room);
        this.over += s.length - room;
        if (this.pos + 1 > this.lenMax) this.lenMax = this.pos + 1;
        return;
      }
    }
    this.tail += s;
    const end = this.pos;
    if (end + 1 > this.lenMax) this.lenMax = end + 1;
    if (!this.fixed && end + 1 - this.size > this.start) this.start = end + 1 - this.size;
    if (this.tail.length > 4096) {
      this.flush();
      // rotating: forget chunks wholly before the window once they add up to more than it holds
      if (this.start - this.base > Math.max(this.size, 1 << 20)) this.drop();
    }
  }
  private flush(): void {
    if (this.tail) { this.chunks.push(this.tail); this.committed += this.tail.length; this.tail = ''; }
  }
  private drop(): void {
    let n = 0;
    while (n < this.chunks.length && this.base + this.chunks[n].length <= this.start) this.base += this.chunks[n++].length;
    this.chunks.splice(0, n);
  }
  /** Truncate to `pos` (kernel bpf_vlog_reset: bytes before pos stay as they now are). */
  reset(pos: number): void {
    if (pos >= this.pos) return;
    if (pos < this.start) this.start = pos;
    const stored = this.committed + this.tail.length;
    if (pos >= stored) { this.over = pos - stored; return; }
    this.over = 0;
    if (pos < this.base) {
      // everything kept is after pos: the window is empty and starts there
      this.chunks = []; this.tail = ''; this.base = this.committed = pos;
      return;
    }
    if (pos >= this.committed) { this.tail = this.tail.slice(0, pos - this.committed); return; }
    // drop whole chunks from the end, then cut the one `pos` falls in (never re-join the whole log)
    this.tail = '';
    while (this.chunks.length && this.committed - this.chunks[this.chunks.length - 1].length >= pos) {
      this.committed -= this.chunks.pop()!.length;
    }
    if (this.committed > pos) {
      const last = this.chunks.pop()!;
      this.committed -= last.length;
      this.tail = last.slice(0, pos - this.committed);
    }
  }
}

/** bpf_verifier_log_attr_valid: log_buf and log_size together, a buffer needs a level, known level bits, size <= UINT_MAX >> 2. */
export function logAttrValid(level: number, hasBuf: boolean, size: number): boolean {
  if (hasBuf !== (size !== 0)) return false;
  if (hasBuf && level === 0) return false;
  if (level & ~BPF_LOG_MASK) return false;
  return size <= LOG_SIZE_MAX;
}

/** BPF_LOG_LEVEL1 | BPF_LOG_LEVEL2 | BPF_LOG_STATS | BPF_LOG_FIXED. */
export const BPF_LOG_MASK = 0xf;
export const BPF_LOG_FIXED = 8;
/** The largest log_size the kernel takes (UINT_MAX >> 2). */
export const LOG_SIZE_MAX = 0xffffffff >>> 2;
/** libbpf's BPF_LOG_BUF_SIZE (UINT32_MAX >> 8): its first buffer, doubled on ENOSPC. */
export const LIBBPF_LOG_BUF_SIZE = 0xffffffff >>> 8;
/** vlog_alignment(pos): pad so `;` lands at column 40 (or the next multiple of 8 past it). */
export function vlogAlignment(pos: number): number {
  const want = Math.max(pos + 4, 40);
  return Math.ceil(want / 8) * 8 - pos - 1;
}
