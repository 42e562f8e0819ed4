#!/usr/bin/env node
'use strict';
/**
 * Regenerate packages/verifier/src/raw-tp-null-args.ts: for every tracepoint of the running kernel
 * (every `btf_trace_<tp>` typedef in /sys/kernel/btf/vmlinux), which struct-pointer arguments a
 * tp_btf program sees as maybe-NULL (PTR_MAYBE_NULL: the kernel's raw_tp_null_args table and
 * `__nullable` parameters) or as a scalar (arguments that may hold an ERR_PTR). Measured by loading,
 * with tools/oracle, one program per tracepoint that reads each pointer argument, and reading the
 * register types from the level-2 verifier log. Needs root (bpf()) and the built oracle.
 */
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const ROOT = path.resolve(__dirname, '..', '..');
const OUT = path.join(ROOT, 'packages', 'verifier', 'src', 'raw-tp-null-args.ts');
const oracle = require(path.join(ROOT, 'tools', 'oracle'));

/** Minimal BTF reader: kinds, names and the fields this script needs. */
function readBtf(buf) {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const hdrLen = dv.getUint32(4, true), typeOff = dv.getUint32(8, true), typeLen = dv.getUint32(12, true), strOff = dv.getUint32(16, true);
  const str = (o) => { const s = hdrLen + strOff + o; let e = s; while (buf[e]) e++; return buf.subarray(s, e).toString('utf8'); };
  const types = [{ kind: 0, name: '' }];
  let at = hdrLen + typeOff;
  const end = at + typeLen;
  while (at < end) {
    const name = str(dv.getUint32(at, true)), info = dv.getUint32(at + 4, true), st = dv.getUint32(at + 8, true);
    const kind = (info >>> 24) & 0x1f, vlen = info & 0xffff;
    at += 12;
    const t = { kind, name, type: st };
    if (kind === 1) at += 4;
    else if (kind === 3) at += 12;
    else if (kind === 4 || kind === 5) at += 12 * vlen;
    else if (kind === 6) at += 8 * vlen;
    else if (kind === 19) at += 12 * vlen;
    else if (kind === 13) { t.params = []; for (let k = 0; k < vlen; k++, at += 8) t.params.push(dv.getUint32(at + 4, true)); }
    else if (kind === 14 || kind === 17) at += 4;
    else if (kind === 15) at += 12 * vlen;
    types.push(t);
  }
  return types;
}

const MODS = new Set([8, 9, 10, 11, 18]);
function skip(types, id) { let t = types[id]; while (t && MODS.has(t.kind)) t = types[t.type]; return t; }

function slot(code, dst, src, off, imm) {
  const b = Buffer.alloc(8);
  b[0] = code; b[1] = (src << 4) | dst; b.writeInt16LE(off, 2); b.writeInt32LE(imm, 4);
  return b;
}

function main() {
  const a = oracle.available();
  if (!a.ok) { process.stderr.write(`raw-tp-null-args: oracle unavailable: ${a.reason}\n`); return 2; }
  const types = readBtf(fs.readFileSync('/sys/kernel/btf/vmlinux'));
  const rows = [];
  let n = 0;
  for (let id = 1; id < types.length; id++) {
    const t = types[id];
    if (t.kind !== 8 || !t.name.startsWith('btf_trace_')) continue;
    const ptr = types[t.type];
    const proto = ptr && ptr.kind === 2 ? types[ptr.type] : null;
    if (!proto || proto.kind !== 13) continue;
    const args = proto.params.slice(1);
    const ptrArgs = [];
    args.forEach((p, i) => { const s = skip(types, p); if (s && s.kind === 2) { const tgt = skip(types, s.type); if (tgt && (tgt.kind === 4 || tgt.kind === 5)) ptrArgs.push(i); } });
    if (!ptrArgs.length) continue;
    n++;
    const insns = [];
    for (const i of ptrArgs) insns.push(slot(0x79, 2, 1, 8 * i, 0));
    insns.push(slot(0xb7, 0, 0, 0, 0), slot(0x95, 0, 0, 0, 0));
    const r = oracle.progLoad({ type: 26, expectedAttachType: 23, attachBtfId: id, insns: Buffer.concat(insns), logLevel: 2 });
    if (r.fd !== null) oracle.close(r.fd);
    const tp = t.name.slice('btf_trace_'.length);
    if (r.fd === null) { process.stderr.write(`raw-tp-null-args: ${tp}: ${r.errnoName}\n`); continue; }
    // the state printed after each load of insn k (k = position in ptrArgs) names R2's type
    let nullMask = 0, errMask = 0;
    ptrArgs.forEach((argIdx, k) => {
      const m = new RegExp(`^${k + 1}: .*R2=(\\S+)`, 'm').exec(r.log) || new RegExp(`^${k}: \\(79\\) r2 = .*; .*R2=(\\S+)`, 'm').exec(r.log);
      const ty = m ? m[1] : '';
      if (/^scalar/.test(ty)) errMask |= 1 << argIdx;
      else if (/or_null/.test(ty)) nullMask |= 1 << argIdx;
    });
    if (nullMask || errMask) rows.push({ tp, nullMask, errMask });
  }
  rows.sort((x, y) => (x.tp < y.tp ? -1 : x.tp > y.tp ? 1 : 0));
  const body = rows.map((r) => `  ['${r.tp}', ${r.nullMask}, ${r.errMask}],`).join('\n');
  const src = `/**
 * Tracepoints whose struct-pointer arguments a tp_btf program sees as maybe-NULL or as a scalar
 * (ERR_PTR): the kernel's raw_tp_null_args table and \`__nullable\` template parameters, as measured
 * on Linux ${require('os').release()} by tools/gen/raw-tp-null-args.js over ${n} tracepoints with
 * struct-pointer arguments. Generated: do not edit. [tracepoint, maybe-NULL arg bit mask, scalar arg bit mask]
 */
export const RAW_TP_NULL_ARGS: ReadonlyMap<string, { readonly nullMask: number; readonly errMask: number }> = new Map(
  ([
${body}
  ] as const).map(([tp, nullMask, errMask]) => [tp, { nullMask, errMask }]),
);
`;
  fs.writeFileSync(OUT, src);
  process.stdout.write(`raw-tp-null-args: ${rows.length} of ${n} tracepoints have maybe-NULL or scalar pointer args; wrote ${path.relative(ROOT, OUT)}\n`);
  return 0;
}

process.exitCode = main();
