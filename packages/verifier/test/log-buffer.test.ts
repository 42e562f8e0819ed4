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
