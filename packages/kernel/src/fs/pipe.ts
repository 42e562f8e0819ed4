/**
 * Pipes (fs/pipe.c): a byte queue of PIPE_DEF_BUFFERS pages (64 KiB), counted
 * readers and writers. A read of an empty pipe with writers blocks, without
 * writers returns 0; a write without readers is EPIPE plus SIGPIPE.
 */
export const PIPE_BUF_CAPACITY = 16 * 4096;

export class Pipe {
  private buf = new Uint8Array(PIPE_BUF_CAPACITY);
  private head = 0;
  len = 0;
  readers = 0;
  writers = 0;
  constructor(readonly ino: number) {}

  get space(): number {
    return PIPE_BUF_CAPACITY - this.len;
  }

  write(data: Uint8Array): number {
    const n = Math.min(data.length, this.space);
    for (let i = 0; i < n; i++) this.buf[(this.head + this.len + i) % PIPE_BUF_CAPACITY] = data[i];
    this.len += n;
    return n;
  }

  read(max: number): Uint8Array {
    const n = Math.min(max, this.len);
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.buf[(this.head + i) % PIPE_BUF_CAPACITY];
    this.head = (this.head + n) % PIPE_BUF_CAPACITY;
    this.len -= n;
    return out;
  }
}
