/**
 * The verifier log buffer with the kernel's quirks: position resets when a path is abandoned
 * (bpf_vlog_reset keeps earlier bytes), and `; <state>` appended to the instruction line at the
 * kernel's alignment (vlog_alignment). Text is kept in committed chunks plus a short tail so that
 * the frequent small resets near the end stay cheap.
 */
export class VLog {
  private chunks: string[] = [];
  private committed = 0;
  private tail = '';
  constructor(readonly level: 0 | 1 | 2) {}
  get pos(): number { return this.committed + this.tail.length; }
  get buf(): string { this.flush(); return this.chunks.join(''); }
  write(s: string): void {
    if (!this.level) return;
    this.tail += s;
    if (this.tail.length > 4096) this.flush();
  }
  private flush(): void {
    if (this.tail) { this.chunks.push(this.tail); this.committed += this.tail.length; this.tail = ''; }
  }
  /** Truncate to `pos` (kernel bpf_vlog_reset: bytes before pos stay as they now are). */
  reset(pos: number): void {
    if (pos >= this.pos) return;
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

/** vlog_alignment(pos): pad so `;` lands at column 40 (or the next multiple of 8 past it). */
export function vlogAlignment(pos: number): number {
  const want = Math.max(pos + 4, 40);
  return Math.ceil(want / 8) * 8 - pos - 1;
}
