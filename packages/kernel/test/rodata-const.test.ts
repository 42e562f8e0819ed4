/**
 * bpf(BPF_PROG_LOAD) hands the verifier the contents of a frozen BPF_F_RDONLY_PROG array of one
 * element (libbpf's .rodata/.kconfig), so a branch on such a value is decided at load time as in the
 * kernel (check_mem_access: bpf_map_direct_read): the dead side, here an invalid context read, is
 * never explored. Not frozen or not read-only: the value is unknown and the load fails.
 */
import { asm, R0, R1, R2, R3 } from '@bpfsim/isa';
import { BpfProgType } from '@bpfsim/uapi';
import { newKernel } from './kit';

const BPF_MAP_TYPE_ARRAY = 2;
const BPF_F_RDONLY_PROG = 0x80;

function load(opts: { flags: number; freeze: boolean; value: number }): { fd: number; error?: string } {
  const k = newKernel();
  const fd = k.bpf.mapCreate({ type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, flags: opts.flags, name: 'ro' });
  expect(fd).toBeGreaterThan(0);
  const v = new Uint8Array(8);
  new DataView(v.buffer).setUint32(4, opts.value, true);
  expect(k.bpf.mapUpdateElem(fd, new Uint8Array(4), v)).toBe(0);
  if (opts.freeze) expect(k.bpf.mapFreeze(fd)).toBe(0);
  // r2 = the u32 at offset 4; only when it is 7 is the (invalid) ctx read at +1000 skipped
  const insns = asm.program(
    asm.LoadMapValue(R2, fd, 4), asm.LoadMem(R2, R2, 0, 'W'), asm.JumpIf('JEQ', R2, 7, 'ok'),
    asm.LoadMem(R3, R1, 1000, 'W'), asm.Label('ok'), asm.Mov.Imm(R0, 2), asm.Return(),
  );
  const r = k.bpf.progLoad({ progType: BpfProgType.XDP, insns, license: 'GPL', name: 'p' });
  return { fd: r.fd, error: r.error };
}

describe('frozen read-only maps at prog load', () => {
  test('frozen, BPF_F_RDONLY_PROG, one element: the value is known and the dead branch skipped', () => {
    expect(load({ flags: BPF_F_RDONLY_PROG, freeze: true, value: 7 }).fd).toBeGreaterThan(0);
  });
  test('the known value can also make the load fail', () => {
    expect(load({ flags: BPF_F_RDONLY_PROG, freeze: true, value: 8 }).fd).toBeLessThan(0);
  });
  test.each([
    ['not frozen', { flags: BPF_F_RDONLY_PROG, freeze: false, value: 7 }],
    ['not read-only', { flags: 0, freeze: true, value: 7 }],
  ] as const)('%s: the value is unknown, both branches explored', (_name, o) => {
    const r = load(o);
    expect(r.fd).toBeLessThan(0);
    expect(r.error).toContain('invalid bpf_context access');
  });
});
