/**
 * The seq_file buffer a BPF iterator writes into (fs/seq_file.c as bpf_seq_read uses it): a fixed
 * buffer of PAGE_SIZE << 3 bytes; a write that does not fit with room to spare marks the buffer
 * overflowed (count = size), which bpf_seq_read turns into "retry this object in the next read".
 */

/** bpf_seq_read's buffer size: PAGE_SIZE << 3. */
export const BPF_SEQ_BUF_SIZE = 4096 << 3;

export class SeqBuf {
  readonly buf: Uint8Array;
  /** Bytes held (== size once overflowed, as seq_set_overflow leaves it). */
  count = 0;
  /** Where the unread bytes start. */
  from = 0;

  constructor(readonly size = BPF_SEQ_BUF_SIZE) {
    this.buf = new Uint8Array(size);
  }

  get overflowed(): boolean {
    return this.count === this.size;
  }

  /** seq_write: fits only when count + len < size; otherwise the buffer is marked overflowed. Returns 0 or -1. */
  write(data: Uint8Array): number {
    if (this.count + data.length < this.size) {
      this.buf.set(data, this.count);
      this.count += data.length;
      return 0;
    }
    this.count = this.size;
    return -1;
  }

  /** seq_bprintf with an already rendered text: the same rule as seq_write (the text is latin-1, as vsnprintf writes bytes). */
  printf(text: string): void {
    if (this.count < this.size && this.count + text.length < this.size) {
      for (let i = 0; i < text.length; i++) this.buf[this.count + i] = text.charCodeAt(i) & 0xff;
      this.count += text.length;
      return;
    }
    this.count = this.size;
  }
}
