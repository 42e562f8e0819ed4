/**
 * Loads programs with the test's own BTF (types, FUNCs with static or global linkage) and func_info
 * into the running kernel through btf-func-load.c, which tools/oracle cannot do. Questions go
 * through tools/oracle/tape (kind `exec.btf-func-load`), so they are recorded and replayed.
 * `encodeBtf` writes the same type list the verifier is given as its program BTF.
 */
import { execFileSync } from 'child_process';
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { encodeProgram, Insn } from '@bpfsim/isa';
import type { KernelBtfType } from '@bpfsim/verifier';
import type { GenMap } from './verifier-gen';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const tape = require('../../../../tools/oracle/tape');

export interface FuncLoadResult { errno: number; log: string; lastErrorLine: string }

/** A BTF type as the test writes it (ids from 1 in list order; 0 is void). */
export type TestBtfType = KernelBtfType & { linkage?: number };

/** BTF_KIND_* numbers the tests use. */
export const K = { INT: 1, PTR: 2, STRUCT: 4, ENUM: 6, TYPEDEF: 8, CONST: 10, FUNC: 12, FUNC_PROTO: 13 } as const;

/** The raw .BTF blob (header, types, strings) for `types`. */
export function encodeBtf(types: readonly TestBtfType[]): Uint8Array {
  const strs: number[] = [0];
  const strOff = new Map<string, number>([['', 0]]);
  const str = (s: string): number => {
    let o = strOff.get(s);
    if (o === undefined) { o = strs.length; strOff.set(s, o); for (const ch of Buffer.from(s)) strs.push(ch); strs.push(0); }
    return o;
  };
  const words: number[] = [];
  const head = (name: string, kind: number, vlen: number, sizeOrType: number): void => {
    words.push(str(name), ((kind << 24) | vlen) >>> 0, sizeOrType >>> 0);
  };
  for (const t of types) {
    switch (t.kind) {
      case K.INT: head(t.name, t.kind, 0, t.size ?? 4); words.push(((t.encoding ?? 1) << 24) | ((t.size ?? 4) * 8)); break;
      case K.PTR: case K.TYPEDEF: case K.CONST: head(t.name, t.kind, 0, t.type ?? 0); break;
      case K.STRUCT: {
        const ms = t.members ?? [];
        head(t.name, t.kind, ms.length, t.size ?? 0);
        for (const m of ms) words.push(str(m.name), m.type, m.bitOffset);
        break;
      }
      case K.FUNC: head(t.name, t.kind, t.linkage ?? 0, t.type ?? 0); break;
      case K.FUNC_PROTO: {
        const ps = t.params ?? [];
        head('', t.kind, ps.length, t.returnType ?? 0);
        for (const p of ps) words.push(str(p.name), p.type);
        break;
      }
      default: throw new Error(`encodeBtf: kind ${t.kind} not supported`);
    }
  }
  const typeLen = words.length * 4;
  const out = Buffer.alloc(24 + typeLen + strs.length);
  out.writeUInt16LE(0xeb9f, 0); out.writeUInt8(1, 2); out.writeUInt8(0, 3); out.writeUInt32LE(24, 4);
  out.writeUInt32LE(0, 8); out.writeUInt32LE(typeLen, 12); out.writeUInt32LE(typeLen, 16); out.writeUInt32LE(strs.length, 20);
  words.forEach((w, i) => out.writeUInt32LE(w >>> 0, 24 + i * 4));
  Buffer.from(strs).copy(out, 24 + typeLen);
  return new Uint8Array(out);
}

let built: { bin?: string; reason?: string } | undefined;
let work: string | undefined;
const dir = (): string => mkdtempSync(join(tmpdir(), 'bpfsim-btf-func-load-'));

function liveAvailable(): { ok: boolean; reason?: string } {
  if (!built) {
    try {
      const bin = join(dir(), 'btf-func-load');
      execFileSync(process.env.CC ?? 'cc', ['-O1', '-o', bin, join(__dirname, 'btf-func-load.c')], { stdio: 'pipe' });
      built = { bin };
    } catch (e) {
      built = { reason: `cannot build btf-func-load.c: ${(e as Error).message.split('\n')[0]}` };
    }
  }
  return built.bin ? { ok: true } : { ok: false, reason: built.reason };
}

/** Can programs be loaded with their own BTF here (live, or from the recorded tape)? */
export function btfFuncLoaderAvailable(): { ok: boolean; reason?: string } {
  return tape.availability(liveAvailable);
}

/** Load `insns` with BTF `types` and func_info (insn offset, FUNC type id) into the kernel. */
export function btfFuncLoad(
  progType: number, insns: readonly Insn[], types: readonly TestBtfType[], funcInfo: readonly { insnOff: number; typeId: number }[],
  maps: readonly GenMap[] = [],
): FuncLoadResult {
  const prog = encodeProgram([...insns]);
  const btf = encodeBtf(types);
  const fi = Buffer.alloc(funcInfo.length * 8);
  funcInfo.forEach((f, i) => { fi.writeUInt32LE(f.insnOff, i * 8); fi.writeUInt32LE(f.typeId, i * 8 + 4); });
  const mapArgs = maps.map((m) => `${m.type}:${m.keySize}:${m.valueSize}:${m.maxEntries}:${m.name}`);
  const out: string = tape.ask('exec.btf-func-load', { progType, prog, btf, funcInfo: new Uint8Array(fi), maps: mapArgs }, () => {
    const a = liveAvailable();
    if (!a.ok) throw new Error(`btf-func-load unavailable: ${a.reason}`);
    work ??= dir();
    writeFileSync(join(work, 'prog.bin'), prog);
    writeFileSync(join(work, 'btf.bin'), btf);
    writeFileSync(join(work, 'fi.bin'), fi);
    return execFileSync(built!.bin!, [String(progType), join(work, 'prog.bin'), join(work, 'btf.bin'), join(work, 'fi.bin'), ...mapArgs],
      { maxBuffer: 64 << 20 }).toString();
  });
  const nl = out.indexOf('\n');
  const errno = Number(out.slice(0, nl));
  if (!Number.isInteger(errno)) throw new Error(`btf-func-load: ${out.slice(0, 300)}`);
  const log = out.slice(nl + 1);
  const lines = log.trimEnd().split('\n').filter((l) => l && !/^(processed \d+ insns|verification time|stack depth)/.test(l));
  return { errno, log, lastErrorLine: errno ? lines[lines.length - 1] ?? '' : '' };
}
