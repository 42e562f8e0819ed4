/**
 * VLog keeps the log in chunks; resets (bpf_vlog_reset) must give exactly what one flat string would,
 * wherever they land (inside the tail, inside a committed chunk, on a chunk boundary).
 */
import fc from 'fast-check';
import { VLog } from '../src/log';

describe('VLog reset and write equal a flat string', () => {
  test('random writes and resets', () => {
    fc.assert(fc.property(
      fc.array(fc.oneof(
        fc.string({ minLength: 1, maxLength: 3000 }).map((t) => ({ kind: 'w' as const, t })),
        fc.double({ min: 0, max: 1, noNaN: true }).map((f) => ({ kind: 'r' as const, f })),
      ), { maxLength: 60 }),
      (ops) => {
        const log = new VLog(1);
        let flat = '';
        for (const o of ops) {
          if (o.kind === 'w') { log.write(o.t); flat += o.t; } else {
            const pos = Math.floor(o.f * (flat.length + 10));
            log.reset(pos);
            flat = flat.slice(0, Math.min(pos, flat.length));
          }
          expect(log.pos).toBe(flat.length);
        }
        expect(log.buf).toBe(flat);
      },
    ), { numRuns: 300, seed: 11 });
  });
});

/**
 * kernel/bpf/log.c's buffer arithmetic, byte by byte over a user buffer of `size` bytes: what
 * bpf_verifier_vlog, bpf_vlog_reset and bpf_vlog_finalize leave there, and len_max.
 */
class KernelLogModel {
  readonly ubuf: Uint8Array;
  start = 0;
  end = 0;
  lenMax = 0;
  constructor(readonly size: number, readonly fixed: boolean) { this.ubuf = new Uint8Array(size); }
  write(s: string): void {
    const kbuf = Uint8Array.from([...Buffer.from(s, 'latin1'), 0]);
    const n = kbuf.length;
    this.lenMax = Math.max(this.lenMax, this.end + n);
    if (this.fixed) {
      if (this.end < this.size) {
        const m = Math.min(this.size - this.end, n);
        kbuf[m - 1] = 0;
        this.ubuf.set(kbuf.subarray(0, m), this.end);
      }
      this.end += n - 1;
      return;
    }
    const newEnd = this.end + n;
    if (newEnd - this.start >= this.size) this.start = newEnd - this.size;
    this.end = newEnd - 1;
    const m = Math.min(n, this.size);
    // the last m bytes of the message (with its NUL) land at positions newEnd - m .. newEnd - 1
    for (let i = 0; i < m; i++) this.ubuf[(newEnd - m + i) % this.size] = kbuf[n - m + i];
  }
  reset(pos: number): void {
    this.end = pos;
    if (this.end < this.start) this.start = this.end;
    const at = this.fixed ? this.end + 1 : pos % this.size;
    if (at < this.size) this.ubuf[at] = 0;
  }
  /** The buffer after bpf_vlog_finalize, read as a C string, and whether it returned -ENOSPC. */
  finalize(): { text: string; enospc: boolean } {
    let b = this.ubuf;
    if (!this.fixed && this.start) {
      const k = this.start % this.size;
      b = Uint8Array.from([...b.subarray(k), ...b.subarray(0, k)]);
    }
    const nul = b.indexOf(0);
    return { text: Buffer.from(nul < 0 ? b : b.subarray(0, nul)).toString('latin1'), enospc: this.lenMax > this.size };
  }
}

describe('VLog with a log_size keeps what the kernel leaves in the user buffer', () => {
  test('random writes and resets, rotating and BPF_LOG_FIXED, sizes 1 to 300', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 300 }), fc.boolean(),
      fc.array(fc.oneof(
        fc.stringMatching(/^[a-z0-9 ;:\n]{1,120}$/).map((t) => ({ kind: 'w' as const, t })),
        fc.double({ min: 0, max: 1, noNaN: true }).map((f) => ({ kind: 'r' as const, f })),
      ), { maxLength: 40 }),
      (size, fixed, ops) => {
        const log = new VLog(1, size, fixed);
        const k = new KernelLogModel(size, fixed);
        for (const o of ops) {
          if (o.kind === 'w') { log.write(o.t); k.write(o.t); } else {
            // the verifier resets only to positions it has been at
            const pos = Math.floor(o.f * k.end);
            log.reset(pos); k.reset(pos);
          }
          expect(log.pos).toBe(k.end);
        }
        // every verification ends with the statistics line: a write
        log.write('processed 1 insns\n'); k.write('processed 1 insns\n');
        const want = k.finalize();
        expect(log.buf).toBe(want.text);
        expect(log.truncated).toBe(want.enospc);
        expect(log.lenMax).toBe(k.lenMax);
      },
    ), { numRuns: 2000, seed: 14 });
  });

  test('a long log in a small rotating buffer keeps only a bounded window in memory', () => {
    const log = new VLog(1, 1000);
    const line = 'x'.repeat(99) + '\n';
    for (let i = 0; i < 200_000; i++) log.write(line);
    expect(log.buf).toBe(line.repeat(10).slice(1));
    expect(log.lenMax).toBe(200_000 * 100 + 1);
    expect(log.truncated).toBe(true);
    // 20 MB written; the chunks kept stay near the window (plus the 1 MiB slack)
    expect((log as unknown as { chunks: string[] }).chunks.join('').length).toBeLessThan(3 << 20);
  });
});
