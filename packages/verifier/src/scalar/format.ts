/**
 * How the 6.18 verifier log prints a scalar register (print_reg_state and
 * print_scalar_ranges in kernel/bpf/log.c): `42`, `-1`, `0xffffffff`,
 * `scalar()`, `scalar(id=2,smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))`.
 */
import { S32_MAX, S32_MIN, S64_MAX, S64_MIN, U32_MAX, U64_MAX, s64, u32, u64 } from './int';
import { ScalarState } from './bounds';
import { tnumIsConst, tnumIsUnknown, tnumStr } from './tnum';

const hex = (x: bigint): string => '0x' + x.toString(16);

/** verbose_snum: decimal within [S16_MIN, S16_MAX], else the u64 in hex. */
export function fmtSnum(x: bigint): string {
  const v = s64(x);
  return v >= -32768n && v <= 32767n ? v.toString() : hex(u64(v));
}

/** verbose_unum: decimal up to U16_MAX, else hex. */
export function fmtUnum(x: bigint): string {
  const v = u64(x);
  return v <= 65535n ? v.toString() : hex(v);
}

export interface FormatOpts {
  /** The register's id (linked scalars); 0 or absent prints none. */
  id?: number;
  /** The constant delta of a BPF_ADD_CONST-linked register (printed as id=N+off). */
  addConstOff?: number;
  /** Precision mark: prints a leading `P`. */
  precise?: boolean;
}

/** print_scalar_ranges: bounds that are not at their type's limit, equal values merged under one `=` chain. */
function scalarRanges(s: ScalarState): string[] {
  const smin32 = s.s32min >= -32768n && s.s32min <= 32767n ? s.s32min : u32(s.s32min);
  const smax32 = s.s32max >= -32768n && s.s32max <= 32767n ? s.s32max : u32(s.s32max);
  const m = [
    { name: 'smin', val: u64(s.smin), omit: s.smin === S64_MIN },
    { name: 'smax', val: u64(s.smax), omit: s.smax === S64_MAX },
    { name: 'umin', val: s.umin, omit: s.umin === 0n },
    { name: 'umax', val: s.umax, omit: s.umax === U64_MAX },
    { name: 'smin32', val: u64(smin32), omit: s.s32min === S32_MIN },
    { name: 'smax32', val: u64(smax32), omit: s.s32max === S32_MAX },
    { name: 'umin32', val: s.u32min, omit: s.u32min === 0n },
    { name: 'umax32', val: s.u32max, omit: s.u32max === U32_MAX },
  ];
  const out: string[] = [];
  for (let i = 0; i < m.length; i++) {
    const m1 = m[i];
    if (m1.omit) continue;
    const neg1 = m1.name[0] === 's' && s64(m1.val) < 0n;
    let text = `${m1.name}=`;
    // Only entries of the same min/max kind (every other one) can merge.
    for (let j = i + 2; j < m.length; j += 2) {
      const m2 = m[j];
      if (m2.omit || m2.val !== m1.val) continue;
      const neg2 = m2.name[0] === 's' && s64(m2.val) < 0n;
      if (neg2 !== neg1) continue;
      m2.omit = true;
      text += `${m2.name}=`;
    }
    text += m1.name[0] === 's' ? fmtSnum(m1.val) : fmtUnum(m1.val);
    out.push(text);
  }
  return out;
}

/** The text after `R3=` for a scalar register. */
export function formatScalar(s: ScalarState, opts: FormatOpts = {}): string {
  const p = opts.precise ? 'P' : '';
  if (tnumIsConst(s.varOff)) return p + fmtSnum(s.varOff.value);
  const parts: string[] = [];
  if (opts.id) {
    const off = opts.addConstOff;
    parts.push(`id=${opts.id}` + (off !== undefined ? (off >= 0 ? `+${off}` : `${off}`) : ''));
  }
  parts.push(...scalarRanges(s));
  if (!tnumIsUnknown(s.varOff)) parts.push(`var_off=${tnumStr(s.varOff)}`);
  return `${p}scalar(${parts.join(',')})`;
}
