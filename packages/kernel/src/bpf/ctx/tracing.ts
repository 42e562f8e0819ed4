/**
 * Tracing contexts: pt_regs (x86-64, kprobe/uprobe), bpf_perf_event_data and
 * bpf_raw_tracepoint_args. These are plain bytes in bpfsim (the kernel's
 * loads of them are not rewritten, except perf_event's sample_period/addr,
 * which live at their uapi offsets here), so the layouts name the fields
 * for builders and for the BTF check.
 */
import type { CtxLayout } from './layout';

/** struct pt_regs (arch/x86/include/asm/ptrace.h), 21 u64 slots. */
export const PT_REGS_FIELDS = [
  'r15', 'r14', 'r13', 'r12', 'bp', 'bx', 'r11', 'r10', 'r9', 'r8',
  'ax', 'cx', 'dx', 'si', 'di', 'orig_ax', 'ip', 'cs', 'flags', 'sp', 'ss',
] as const;
export type PtRegName = (typeof PT_REGS_FIELDS)[number];

export const PT_REGS_LAYOUT: CtxLayout = {
  struct: 'pt_regs',
  size: PT_REGS_FIELDS.length * 8,
  fields: PT_REGS_FIELDS.map((name, i) => ({ name, off: i * 8, size: 8 as const })),
};

export const PERF_EVENT_DATA_LAYOUT: CtxLayout = {
  struct: 'bpf_perf_event_data',
  size: PT_REGS_LAYOUT.size + 16,
  fields: [
    ...PT_REGS_LAYOUT.fields.map((f) => ({ ...f, name: `regs.${f.name}` })),
    { name: 'sample_period', off: PT_REGS_LAYOUT.size, size: 8 },
    { name: 'addr', off: PT_REGS_LAYOUT.size + 8, size: 8 },
  ],
};

/** MAX_BPF_FUNC_ARGS: a raw tracepoint passes at most 12 u64 arguments. */
export const MAX_BPF_FUNC_ARGS = 12;

/** x86-64 calling convention: function argument n (0-based) lives in these pt_regs slots (PT_REGS_PARMn). */
export const PT_REGS_ARG_REGS: readonly PtRegName[] = ['di', 'si', 'dx', 'cx', 'r8', 'r9'];

/** Build pt_regs bytes from named registers (others zero). */
export function ptRegs(regs: Partial<Record<PtRegName, bigint>>): Uint8Array {
  const out = new Uint8Array(PT_REGS_LAYOUT.size);
  const dv = new DataView(out.buffer);
  PT_REGS_FIELDS.forEach((name, i) => dv.setBigUint64(i * 8, BigInt.asUintN(64, regs[name] ?? 0n), true));
  return out;
}

/** Build bpf_raw_tracepoint_args bytes (u64 args[]). */
export function rawTracepointArgs(args: readonly bigint[]): Uint8Array {
  if (args.length > MAX_BPF_FUNC_ARGS) throw new RangeError(`raw tracepoint: at most ${MAX_BPF_FUNC_ARGS} args, got ${args.length}`);
  const out = new Uint8Array(args.length * 8);
  const dv = new DataView(out.buffer);
  args.forEach((a, i) => dv.setBigUint64(i * 8, BigInt.asUintN(64, a), true));
  return out;
}
