/**
 * The bpfsim side of the differential test: run a generated case on the VM
 * the way BPF_PROG_TEST_RUN runs it in the kernel.
 *
 * The kernel rewrites the program's u32 loads of xdp_md->data/data_end into
 * 64-bit loads of the packet pointers. The VM runs instructions as written,
 * so this harness does the rewrite itself: the generator leaves each of those
 * loads followed by `ja +0`, and the pair is swapped for an lddw of the
 * simulated address (same slot count, so no jump offset moves).
 */
import { Insn, type Program } from '@bpfsim/isa';
import { AddressSpace, run } from '@bpfsim/vm';
import type { GeneratedCase } from './generator';
import { PROLOGUE_DATA_END_SLOT, PROLOGUE_DATA_SLOT } from './layout';

export type VmOutcome =
  | { ok: true; r0: bigint; retval: number; packet: Uint8Array; insns: number }
  | { ok: false; error: string };

const XDP_MD_SIZE = 24; // data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex

function lddw(dst: number, v: bigint): [Insn, Insn] {
  return [new Insn(0x18, dst, 0, 0, Number(BigInt.asIntN(32, v))), new Insn(0, 0, 0, 0, Number(BigInt.asIntN(32, v >> 32n)))];
}

/** The program with its two ctx loads replaced by lddw of `data` and `dataEnd`. */
export function rewriteCtxLoads(insns: readonly Insn[], data: bigint, dataEnd: bigint): Program {
  const out = insns.slice();
  for (const [slot, ctxOff, value] of [[PROLOGUE_DATA_SLOT, 0, data], [PROLOGUE_DATA_END_SLOT, 4, dataEnd]] as const) {
    const ld = out[slot];
    const nop = out[slot + 1];
    if (ld.code !== 0x61 || ld.src !== 1 || ld.off !== ctxOff || nop.code !== 0x05 || nop.off !== 0) {
      throw new Error(`fuzz harness: slot ${slot} is not the marked xdp_md load (r = *(u32 *)(r1 +${ctxOff}); ja +0)`);
    }
    [out[slot], out[slot + 1]] = lddw(ld.dst, value);
  }
  return out;
}

export function runInVm(c: GeneratedCase): VmOutcome {
  const mem = new AddressSpace();
  const packet = c.packet.slice();
  const pkt = mem.map('packet', packet, { name: 'xdp packet' });
  const ctx = mem.map('ctx', new Uint8Array(XDP_MD_SIZE), { name: 'xdp_md', writable: false });
  try {
    const prog = rewriteCtxLoads(c.insns, pkt.base, pkt.base + BigInt(packet.length));
    const res = run(prog, { args: [ctx.base], memory: mem, maxInsns: 1_000_000 });
    return { ok: true, r0: res.r0, retval: Number(res.r0 & 0xffffffffn), packet, insns: res.insns };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
}
