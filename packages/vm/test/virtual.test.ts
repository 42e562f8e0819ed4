import { assemble } from '@bpfsim/isa';
import { AddressSpace, type VirtualAccess } from '@bpfsim/vm';
import { run, forEachEngine } from './engine';

/** A context whose 32-bit field at offset 0 reads as a 64-bit pointer, as the kernel's ctx rewrite makes it. */
function ctx(log: string[]): { mem: AddressSpace; base: bigint } {
  const mem = new AddressSpace();
  const access: VirtualAccess = {
    load: (off, size, signed) => {
      log.push(`load ${off} ${size} ${signed}`);
      return off === 0 ? 0xffff888812345678n : signed ? -2n : 0xfen;
    },
    store: (off, size, value) => { log.push(`store ${off} ${size} ${value}`); },
  };
  const region = mem.map('ctx', new Uint8Array(24), { name: 'xdp_md', virtual: access });
  return { mem, base: region.base };
}

forEachEngine(() => {
  describe('virtual context regions', () => {
    test('a 32-bit load yields the full 64-bit value the accessor gives; sign-extending loads say so', () => {
      const log: string[] = [];
      const { mem, base } = ctx(log);
      const prog = assemble('r2 = *(u32 *)(r1 +0)\nr3 = *(s8 *)(r1 +4)\nr0 = r2\nr0 += r3\nexit\n');
      const res = run(prog, { args: [base], memory: mem });
      expect(res.r0).toBe(0xffff888812345678n - 2n);
      expect(log).toEqual(['load 0 4 false', 'load 4 1 true']);
    });

    test('stores go to the accessor with the value truncated to their size', () => {
      const log: string[] = [];
      const { mem, base } = ctx(log);
      run(assemble('r2 = -1\n*(u16 *)(r1 +8) = r2\n*(u32 *)(r1 +12) = 7\nr0 = 0\nexit\n'), { args: [base], memory: mem });
      expect(log).toEqual(['store 8 2 65535', 'store 12 4 7']);
    });

    test('bounds are still checked, and atomics on a context fault', () => {
      const { mem, base } = ctx([]);
      expect(() => run(assemble('r0 = *(u32 *)(r1 +24)\nexit\n'), { args: [base], memory: mem })).toThrow(/insn 0.*read of 4 bytes/);
      expect(() => run(assemble('r2 = 1\nlock *(u64 *)(r1 +0) += r2\nr0 = 0\nexit\n'), { args: [base], memory: mem })).toThrow(/atomic/);
    });
  });
});
