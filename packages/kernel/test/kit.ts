/**
 * Test kit: kernels for tests, the kernel oracle, and `Dual` — the same maps
 * and programs in bpfsim and in the real kernel, for differential tests.
 * Programs are written in kernel assembler syntax; `map[id:N]` names the N-th
 * map created through the Dual (patched to each side's fd).
 */
import { assemble, encodeProgram, type Insn } from '@bpfsim/isa';
import * as verifierPkg from '@bpfsim/verifier';
import { Kernel, type KernelOptions, type MapAttr, type TestRunAttr, type TestRunResult, type VerifyFn } from '@bpfsim/kernel';

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const oracle = require('../../../tools/oracle');
export const ORACLE: { ok: boolean; reason?: string } = oracle.available();

/** An accepting stand-in, used only while @bpfsim/verifier exports no verify(). */
const acceptAll: VerifyFn = (insns) => ({ accepted: true, errno: null, error: null, processed: insns.length, log: '' });
export const REAL_VERIFIER = typeof (verifierPkg as unknown as { verify?: unknown }).verify === 'function';

export function newKernel(opts: KernelOptions = {}): Kernel {
  return new Kernel({ verifier: REAL_VERIFIER ? undefined : acceptAll, ...opts });
}

/** Note once why kernel comparisons are skipped. */
export function oracleOrSkip(): boolean {
  if (!ORACLE.ok) console.warn(`kernel oracle unavailable, differential checks skipped: ${ORACLE.reason}`);
  return ORACLE.ok;
}

export function patchMaps(insns: readonly Insn[], fds: readonly number[]): Insn[] {
  const out = insns.slice();
  for (let i = 0; i < out.length; i++) {
    if (out[i].code === 0x18) {
      if (out[i].src === 1 || out[i].src === 2) out[i] = out[i].with({ imm: fds[out[i].imm] });
      i++;
    }
  }
  return out;
}

export interface DualRun {
  sim: TestRunResult;
  real: { retval: number; duration: number; dataOut: Uint8Array | null; ctxOut: Uint8Array | null; dataSizeOut: number; errno: number; errnoName: string };
}

/** The same maps and programs in bpfsim and in the real kernel. */
export class Dual {
  readonly kernel: Kernel;
  readonly simFds: number[] = [];
  readonly realFds: number[] = [];
  private readonly realProgs: number[] = [];

  constructor(opts: KernelOptions = {}) {
    this.kernel = newKernel({ cpus: oracle.numPossibleCpus(), ...opts });
  }

  /** Create a map on both sides; returns its index for `map[id:N]`. */
  map(attr: MapAttr): number {
    const s = this.kernel.bpf.mapCreate(attr);
    const r = oracle.mapCreate({ type: attr.type, keySize: attr.keySize, valueSize: attr.valueSize, maxEntries: attr.maxEntries, flags: attr.flags ?? 0, name: attr.name ?? '' });
    if (s < 0 || r.fd === null) throw new Error(`map create: bpfsim ${s}, kernel ${r.errnoName}`);
    this.simFds.push(s);
    this.realFds.push(r.fd);
    return this.simFds.length - 1;
  }

  update(map: number, key: Uint8Array, value: Uint8Array, flags = 0): [number, number] {
    const s = this.kernel.bpf.mapUpdateElem(this.simFds[map], key, value, flags);
    const r = oracle.mapUpdate(this.realFds[map], key, value, flags);
    return [s, -r.errno];
  }

  freeze(map: number): void {
    this.kernel.bpf.mapFreeze(this.simFds[map]);
    oracle.mapFreeze(this.realFds[map]);
  }

  lookup(map: number, key: Uint8Array): [Uint8Array | number, Uint8Array | number] {
    const s = this.kernel.bpf.mapLookupElem(this.simFds[map], key);
    const r = oracle.mapLookup(this.realFds[map], key);
    return [s, r.errno ? -r.errno : r.value];
  }

  /** Load on both sides. Returns the fds, or the kernel's rejection (then bpfsim is not asked). */
  load(progType: number, prog: string | readonly Insn[], opts: { expectedAttachType?: number; name?: string } = {}): { sim: number; real: number } | { rejected: string } {
    const insns = typeof prog === 'string' ? assemble(prog, { dialect: 'kernel' }) : prog;
    const r = oracle.progLoad({ type: progType, insns: encodeProgram(patchMaps(insns, this.realFds)), license: 'GPL', logLevel: 1, expectedAttachType: opts.expectedAttachType ?? 0, name: opts.name ?? '' });
    if (r.fd === null) return { rejected: `${r.errnoName}: ${oracle.lastErrorLine(r.log)}` };
    this.realProgs.push(r.fd);
    const s = this.kernel.bpf.progLoad({ progType, insns: patchMaps(insns, this.simFds), license: 'GPL', expectedAttachType: opts.expectedAttachType, name: opts.name });
    if (s.fd < 0) throw new Error(`bpfsim rejected a program the kernel loads: ${s.fd} ${s.error}\n${s.log}`);
    return { sim: s.fd, real: r.fd };
  }

  testRun(fds: { sim: number; real: number }, attr: TestRunAttr): DualRun {
    // Both sides get the same output buffers (the oracle's defaults when none is given).
    attr = {
      ...attr,
      dataSizeOut: attr.dataSizeOut ?? (attr.dataIn ? attr.dataIn.length + 4096 : undefined),
      ctxSizeOut: attr.ctxSizeOut ?? (attr.ctxIn ? attr.ctxIn.length : undefined),
    };
    const sim = this.kernel.bpf.progTestRun(fds.sim, attr);
    if (typeof sim === 'number') throw new Error(`bpfsim test run: ${sim}`);
    const real = oracle.testRun(fds.real, {
      dataIn: attr.dataIn, ctxIn: attr.ctxIn, repeat: attr.repeat ?? 1, flags: attr.flags ?? 0, cpu: attr.cpu ?? 0,
      dataSizeOut: attr.dataSizeOut ?? 0, ctxSizeOut: attr.ctxSizeOut ?? 0,
    });
    return { sim, real };
  }

  close(): void {
    for (const fd of [...this.realProgs, ...this.realFds]) oracle.close(fd);
    this.realProgs.length = 0;
    this.realFds.length = 0;
  }
}

export const u32le = (v: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
};
export const u64le = (v: bigint): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
  return b;
};
