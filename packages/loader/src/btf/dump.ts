/**
 * BTF as text, in the raw format of `bpftool btf dump file X` (one header line
 * per type, members/params/values indented with a tab). Used by
 * `bpfsim inspect --btf` and by tests that compare the parser with bpftool.
 */
import { Btf, BtfKindName, BtfType } from './types';

const INT_ENC: Readonly<Record<number, string>> = { 0: '(none)', 1: 'SIGNED', 2: 'CHAR', 4: 'BOOL' };
const FUNC_LINKAGE = ['static', 'global', 'extern'];
const VAR_LINKAGE = ['static', 'global', 'extern'];

const q = (s: string) => `'${s || '(anon)'}'`;

export function formatBtfType(btf: Btf, t: BtfType): string {
  const head = `[${t.id}] ${BtfKindName[t.kind]} ${q(t.name)}`;
  switch (t.kind) {
    case 0: return `[0] UNKN`;
    case 1: return `${head} size=${t.size} bits_offset=${t.bitOffset} nr_bits=${t.bits} encoding=${INT_ENC[t.encoding] ?? 'UNKN'}`;
    case 2: case 8: case 9: case 10: case 11: case 18: return `${head} type_id=${t.type}`;
    case 3: return `${head} type_id=${t.elemType} index_type_id=${t.indexType} nr_elems=${t.nelems}`;
    case 4: case 5: {
      const lines = [`${head} size=${t.size} vlen=${t.members.length}`];
      for (const m of t.members) {
        lines.push(`\t${q(m.name)} type_id=${m.type} bits_offset=${m.bitOffset}${m.bitfieldSize ? ` bitfield_size=${m.bitfieldSize}` : ''}`);
      }
      return lines.join('\n');
    }
    case 6: case 19: {
      const lines = [`${head} encoding=${t.signed ? 'SIGNED' : 'UNSIGNED'} size=${t.size} vlen=${t.values.length}`];
      const suffix = t.kind === 19 ? (t.signed ? 'LL' : 'ULL') : '';
      for (const v of t.values) lines.push(`\t${q(v.name)} val=${v.value}${suffix}`);
      return lines.join('\n');
    }
    case 7: return `${head} fwd_kind=${t.union ? 'union' : 'struct'}`;
    case 12: return `${head} type_id=${t.type} linkage=${FUNC_LINKAGE[t.linkage] ?? '(unknown)'}`;
    case 13: {
      const lines = [`${head} ret_type_id=${t.returnType} vlen=${t.params.length}`];
      for (const p of t.params) lines.push(`\t${q(p.name)} type_id=${p.type}`);
      return lines.join('\n');
    }
    case 14: return `${head} type_id=${t.type}, linkage=${VAR_LINKAGE[t.linkage] ?? '(unknown)'}`;
    case 15: {
      const lines = [`${head} size=${t.size} vlen=${t.vars.length}`];
      for (const v of t.vars) {
        const vt = btf.types[v.type];
        lines.push(`\ttype_id=${v.type} offset=${v.offset} size=${v.size} (${vt ? `${BtfKindName[vt.kind]} ${q(vt.name)}` : 'invalid'})`);
      }
      return lines.join('\n');
    }
    case 16: return `${head} size=${t.size}`;
    case 17: return `${head} type_id=${t.type} component_idx=${t.componentIdx}`;
  }
}

/** Every type but void, one after the other, as bpftool prints them. */
export function formatBtfRaw(btf: Btf): string {
  const out: string[] = [];
  for (let i = 1; i < btf.types.length; i++) out.push(formatBtfType(btf, btf.types[i]));
  return out.join('\n') + '\n';
}
