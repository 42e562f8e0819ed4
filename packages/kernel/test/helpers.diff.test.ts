/**
 * Helper semantics against the kernel, through test runs: bpf_snprintf output
 * and return value for generated formats (valid and invalid: the kernel checks
 * the format at load, bpfsim's parser must agree), bpf_trace_printk's return
 * value, and bpf_strtol/bpf_strtoul on generated strings.
 */
import fc from 'fast-check';
import { parseBprintf } from '@bpfsim/kernel';
import { Dual, oracleOrSkip, u32le } from './kit';
import { stackString } from './asm-util';

const XDP = 6;
const BPF_F_RDONLY_PROG = 128;
const RUNS = Number(process.env.BPFSIM_DIFF_RUNS ?? 150);
/** Shifts every property seed: BPFSIM_DIFF_SEED=n explores other cases. */
const SEED = Number(process.env.BPFSIM_DIFF_SEED ?? 0);
const maybe = oracleOrSkip() ? describe : describe.skip;
const pkt = new Uint8Array(14);
const hex = (b: Uint8Array | number): string => (typeof b === 'number' ? `errno ${b}` : Buffer.from(b).toString('hex'));

/** Format strings: literals and specifiers, mostly valid, some the kernel refuses. */
const spec = fc.tuple(
  fc.constantFrom('', '', '0', '-', '+', ' ', '-0', '+ '),
  fc.constantFrom('', '', '1', '5', '12', '03'),
  fc.constantFrom('', '', 'l', 'll', 'h', 'z'),
  fc.constantFrom('d', 'i', 'u', 'x', 'X', 'd', 'u', 'x', 'c', 'px', 'o', 'f', 'ld', 'q', '.2d', '#x', '%', 'pI9', 'pi4z'),
).map(([flags, width, len, conv]) => `%${flags}${width}${len}${conv}`);
const literal = fc.stringMatching(/^[a-zA-Z0-9 =:,.()\-_/]{0,6}$/);
const format = fc.array(fc.oneof(literal, spec, fc.constantFrom('\n', '\t', '\x01', '%%', '%')), { minLength: 1, maxLength: 6 }).map((p) => p.join(''));

maybe('helpers vs the kernel', () => {
  let d: Dual;
  beforeAll(() => (d = new Dual()));
  afterAll(() => d.close());

  test('bpf_snprintf: formats accepted or refused alike; same output and return value', () => {
    const args = d.map({ type: 2, keySize: 4, valueSize: 96, maxEntries: 1, name: 'args' });
    const out = d.map({ type: 2, keySize: 4, valueSize: 128, maxEntries: 1, name: 'out' });
    let compared = 0, refused = 0;
    fc.assert(
      fc.property(format, fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { minLength: 0, maxLength: 12 }), fc.constantFrom(0, 1, 8, 40, 128), (fmt, argv, strSize) => {
        const fmtBytes = Buffer.alloc(128);
        Buffer.from(fmt, 'latin1').copy(fmtBytes, 0, 0, 127);
        const fm = d.map({ type: 2, keySize: 4, valueSize: 128, maxEntries: 1, flags: BPF_F_RDONLY_PROG, name: 'fmt' });
        d.update(fm, u32le(0), fmtBytes);
        d.freeze(fm);
        const a = Buffer.alloc(96);
        argv.forEach((v, i) => a.writeBigUInt64LE(v, i * 8));
        d.update(args, u32le(0), a);
        d.update(out, u32le(0), Buffer.alloc(128, 0xee));
        const fds = d.load(XDP, `
          r1 = map[id:${out}][0]+0
          r2 = ${strSize}
          r3 = map[id:${fm}][0]+0
          r4 = map[id:${args}][0]+0
          r5 = ${argv.length * 8}
          call bpf_snprintf
          exit`);
        const ours = parseBprintf(fmtBytes, argv.length);
        if ('rejected' in fds) {
          refused++;
          // The kernel's load-time check (check_bpf_snprintf_call) is bpf_bprintf_prepare: ours must refuse too.
          expect({ fmt, refusedByUs: typeof ours === 'number' }).toEqual({ fmt, refusedByUs: true });
          return;
        }
        expect({ fmt, acceptedByUs: typeof ours !== 'number' }).toEqual({ fmt, acceptedByUs: true });
        const r = d.testRun(fds, { dataIn: pkt });
        expect({ fmt, retval: r.sim.retval }).toEqual({ fmt, retval: r.real.retval });
        const [s, k] = d.lookup(out, u32le(0));
        expect({ fmt, argv: argv.map(String), out: hex(s) }).toEqual({ fmt, argv: argv.map(String), out: hex(k) });
        compared++;
      }),
      { numRuns: RUNS, seed: 600 + SEED },
    );
    expect(compared).toBeGreaterThan(RUNS / 10);
    expect(refused).toBeGreaterThan(0);
  });

  test('bpf_trace_printk returns the length the kernel prints, or its errno', () => {
    fc.assert(
      fc.property(format, fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { minLength: 3, maxLength: 3 }), (fmt, argv) => {
        const [asm, off] = stackString(fmt.slice(0, 60));
        const lddw = (r: number, v: bigint) => `r${r} = ${BigInt.asIntN(64, v)} ll`;
        const fds = d.load(XDP, `${asm}\nr1 = r10\nr1 += ${off}\nr2 = ${-off}\n${lddw(3, argv[0])}\n${lddw(4, argv[1])}\n${lddw(5, argv[2])}\ncall bpf_trace_printk\nexit`);
        if ('rejected' in fds) throw new Error(fds.rejected);
        const r = d.testRun(fds, { dataIn: pkt });
        expect({ fmt, retval: r.sim.retval }).toEqual({ fmt, retval: r.real.retval });
      }),
      { numRuns: Math.min(RUNS, 60), seed: 601 + SEED },
    );
  });

  for (const [helper, id] of [['bpf_strtol', 105], ['bpf_strtoul', 106]] as const) {
    test(`${helper} on generated strings, bases and flags`, () => {
      const buf = d.map({ type: 2, keySize: 4, valueSize: 80, maxEntries: 1, name: 'buf' });
      const res = d.map({ type: 2, keySize: 4, valueSize: 8, maxEntries: 1, name: 'res' });
      const progs = new Map<string, { sim: number; real: number } | null>();
      const str = fc.tuple(
        fc.constantFrom('', ' ', '  \t', '\n'),
        fc.constantFrom('', '-', '+', '--'),
        fc.constantFrom('', '0', '0x', '0X', '00'),
        fc.oneof(fc.stringMatching(/^[0-9a-fA-FxXg]{0,22}$/), fc.constantFrom('18446744073709551615', '18446744073709551616', '9223372036854775807', '9223372036854775808', '')),
        fc.constantFrom('', ' ', 'z', '\0', '\x007'),
      ).map((p) => p.join(''));
      fc.assert(
        fc.property(str, fc.integer({ min: 1, max: 80 }), fc.constantFrom(0, 8, 10, 16, 2, 32, 0x10000), (s, len, flags) => {
          const bytes = Buffer.alloc(80);
          Buffer.from(s, 'latin1').copy(bytes, 0, 0, 80);
          d.update(buf, u32le(0), bytes);
          d.update(res, u32le(0), Buffer.alloc(8, 0x5a));
          const key = `${len}:${flags}`;
          if (!progs.has(key)) {
            const r = d.load(XDP, `r1 = map[id:${buf}][0]+0\nr2 = ${len}\nr3 = ${flags}\nr4 = map[id:${res}][0]+0\ncall ${id}\nexit`);
            if ('rejected' in r) console.warn(`${helper} program refused by the kernel: ${r.rejected}`);
            progs.set(key, 'rejected' in r ? null : r);
          }
          const fds = progs.get(key);
          if (!fds) return;
          const r = d.testRun(fds, { dataIn: pkt });
          expect({ s, len, flags, retval: r.sim.retval }).toEqual({ s, len, flags, retval: r.real.retval });
          const [a, b] = d.lookup(res, u32le(0));
          expect({ s, len, flags, res: hex(a) }).toEqual({ s, len, flags, res: hex(b) });
        }),
        { numRuns: RUNS, seed: 700 + id + SEED },
      );
    });
  }
});
