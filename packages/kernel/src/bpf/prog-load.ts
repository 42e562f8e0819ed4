/**
 * BPF_PROG_LOAD: resolve the map references, verify, refuse helpers bpfsim
 * does not implement (in the verifier log's style, never at run time), then
 * rewrite the map lddws to the simulated addresses the kernel's verifier puts
 * there, and make the program object.
 */
import type { Insn } from '@bpfsim/isa';
import {
  BPF_COMPLEXITY_LIMIT_INSNS, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE, BPF_PSEUDO_MAP_VALUE,
  Errno, HELPER_NAMES, isGplCompatible,
} from '@bpfsim/uapi';
import * as verifier from '@bpfsim/verifier';
import type { KernelBtf, MapInfo, VerifyOptions, VerifyResult } from '@bpfsim/verifier';
import type { Kernel } from '../kernel/kernel';
import { helperImplemented } from './helpers';
import type { BpfMap } from './maps/map';
import { isMapInMap } from './maps/create';
import { BpfProg } from './prog';
import { lazyVmlinuxBtf } from './vmlinux-btf';
import { KFUNCS } from '../trace/kprobe-funcs';

export interface ProgLoadAttr {
  progType: number;
  /** Slots, map references carrying fds (BPF_PSEUDO_MAP_FD/VALUE) or fd_array indices (MAP_IDX/IDX_VALUE). */
  insns: readonly Insn[];
  /** Default "" (not GPL), as a zeroed attr. */
  license?: string;
  expectedAttachType?: number;
  progFlags?: number;
  /** Up to 15 characters of [A-Za-z0-9_.]. */
  name?: string;
  logLevel?: 0 | 1 | 2;
  /**
   * log_size of the log_buf: the log keeps what fits (its end, or its beginning with logFixed) and a
   * log that did not fit fails the load with ENOSPC (VerifyOptions.logSize). Omitted: the whole log.
   */
  logSize?: number;
  /** BPF_LOG_FIXED in log_level. */
  logFixed?: boolean;
  fdArray?: readonly number[];
  /** func_info_cnt > 0: BTF func_info accompanies the program (see VerifyOptions.btfFuncInfo). */
  btfFuncInfo?: boolean;
  /**
   * prog_btf_fd's BTF and func_info (one record per function: first instruction, FUNC id), which
   * give functions their names, static or global linkage and prototypes (VerifyOptions.progBtf).
   */
  progBtf?: KernelBtf;
  funcInfo?: readonly { insnOff: number; typeId: number }[];
  /** attach_btf_id: a tracing program's target in the kernel BTF (tp_btf: the `btf_trace_<tp>` typedef). */
  attachBtfId?: number;
  /** attach_btf_obj_fd: a module BTF holding attachBtfId; bpfsim has none (0: vmlinux). */
  attachBtfObjFd?: number;
}

export interface ProgLoadResult {
  /** The new fd, or a negative errno. */
  fd: number;
  log: string;
  /** The verifier's (or bpfsim's) final error line, '' when loaded. */
  error: string;
  prog?: BpfProg;
  /** log_true_size: the buffer the whole log needs (the verifier's len_max). */
  logTrueSize?: number;
}

/** within_error_injection_list for fmod_ret: the modelled functions with ALLOW_ERROR_INJECTION. */
const errorInjectable = (fn: string): boolean => fn.startsWith('__x64_sys_') || KFUNCS[fn]?.errorInjection === true;

export type VerifyFn = (insns: readonly Insn[], opts: VerifyOptions) => VerifyResult;

/** The verifier package's entry point, once it exports one. */
export function defaultVerifier(): VerifyFn | undefined {
  return (verifier as unknown as { verify?: VerifyFn }).verify;
}

/** Names the kernel accepts (bpf_obj_name_cpy): < 16 bytes of alnum, '_' and '.'. */
export function validObjName(name: string): boolean {
  return name.length < 16 && /^[A-Za-z0-9_.]*$/.test(name);
}

/** license_is_gpl_compatible (the loader holds the kernel's list). */
export const licenseIsGplCompatible = (l: string): boolean => isGplCompatible(l);

/** BPF_F_* prog_flags the kernel knows. */
const KNOWN_PROG_FLAGS = 0xff | (1 << 8) /* BPF_F_TOKEN_FD */;

const isHelperCall = (i: Insn): boolean => i.code === 0x85 && i.src === 0;
const isKfuncCall = (i: Insn): boolean => i.code === 0x85 && i.src === 2 /* BPF_PSEUDO_KFUNC_CALL */;

export function progLoad(kernel: Kernel, attr: ProgLoadAttr): ProgLoadResult {
  const fail = (errno: number, error: string, log = error ? error + '\n' : ''): ProgLoadResult => ({ fd: -errno, log, error });
  const insns = attr.insns;
  const name = attr.name ?? '';
  if (insns.length === 0) return fail(Errno.EINVAL, '');
  if (insns.length > BPF_COMPLEXITY_LIMIT_INSNS) return fail(Errno.E2BIG, '');
  if (!validObjName(name)) return fail(Errno.EINVAL, '');
  if ((attr.progFlags ?? 0) & ~KNOWN_PROG_FLAGS) return fail(Errno.EINVAL, '');

  // resolve_pseudo_ldimm64: every map lddw must name a map.
  const used: BpfMap[] = [];
  const infos: MapInfo[] = [];
  const mapOfSlot = new Map<number, BpfMap>();
  for (let i = 0; i < insns.length; i++) {
    const ins = insns[i];
    if (ins.code !== 0x18) continue;
    const src = ins.src;
    if (src === BPF_PSEUDO_MAP_FD || src === BPF_PSEUDO_MAP_VALUE || src === BPF_PSEUDO_MAP_IDX || src === BPF_PSEUDO_MAP_IDX_VALUE) {
      const byIdx = src === BPF_PSEUDO_MAP_IDX || src === BPF_PSEUDO_MAP_IDX_VALUE;
      let fd = ins.imm;
      if (byIdx) {
        if (!attr.fdArray) return fail(Errno.EINVAL, 'fd_idx without fd_array is invalid');
        fd = attr.fdArray[ins.imm] ?? -1;
      }
      const map = kernel.bpf.mapByFd(fd);
      if (!map) return fail(Errno.EBADF, `fd ${fd} is not pointing to valid bpf_map`);
      mapOfSlot.set(i, map);
      if (!used.includes(map)) {
        used.push(map);
        infos.push({
          fd: byIdx ? undefined : fd, index: byIdx ? ins.imm : undefined, type: map.type, keySize: map.keySize,
          valueSize: map.valueSize, maxEntries: map.maxEntries, flags: map.flags, name: map.name, frozen: map.frozen,
          inner: isMapInMap(map) ? { ...map.meta } : undefined,
          rdonlyValue: rdonlyValue(map),
        });
      }
    }
    i++; // the second slot of the lddw
  }

  // BTF-typed programs are verified against the kernel's own BTF (read on first use)
  if (attr.attachBtfObjFd) return fail(Errno.EBADF, '');
  // (read on first use: only tracing programs and helpers with struct pointers touch it)
  const kernelBtf = lazyVmlinuxBtf;
  const verify = kernel.verifier ?? defaultVerifier();
  if (!verify) throw new Error('bpf: no verifier available (@bpfsim/verifier exports no verify())');
  const license = attr.license ?? '';
  let verdict: VerifyResult;
  try {
    verdict = verify(insns, {
      progType: attr.progType, expectedAttachType: attr.expectedAttachType, maps: infos, license, logLevel: attr.logLevel ?? 1,
      logSize: attr.logSize, logFixed: attr.logFixed,
      btfFuncInfo: attr.btfFuncInfo || (attr.funcInfo?.length ?? 0) > 0,
      progBtf: attr.progBtf, funcInfo: attr.funcInfo,
      kernelBtf, attachBtfId: attr.attachBtfId,
      trampolines: kernel.trampolines, errorInjectable,
    });
  } catch (e) {
    if (e instanceof Error) e.message = `load program ${name || '(unnamed)'}: verify: ${e.message}`;
    throw e;
  }
  if (!verdict.accepted) {
    const errno = verdict.errno && verdict.errno in Errno ? Errno[verdict.errno as keyof typeof Errno] : Errno.EINVAL;
    return { fd: -errno, log: verdict.log, error: verdict.error ?? '', logTrueSize: verdict.logTrueSize };
  }

  // bpfsim refuses, at load time, a helper it cannot run: never a silent no-op at run time.
  const helperIds = new Set<number>();
  const missing: number[] = [];
  for (let i = 0; i < insns.length; i++) {
    const ins = insns[i];
    if (ins.code === 0x18) {
      i++;
      continue;
    }
    if (isKfuncCall(ins) && !kernel.verifyOnly) {
      // kfuncs are verified (the verifier's kfunc.ts) but bpfsim cannot run any yet
      const line = `${i}: bpfsim does not implement kernel function ${kernelBtf.types[ins.imm >>> 0]?.name ?? 'unknown'}#${ins.imm >>> 0}`;
      return fail(Errno.EINVAL, line, (verdict.log ? verdict.log.replace(/\n?$/, '\n') : '') + line + '\n');
    }
    if (!isHelperCall(ins)) continue;
    if (!helperImplemented(ins.imm) && kernel.verifyOnly) missing.push(ins.imm);
    else if (!helperImplemented(ins.imm)) {
      const fn = HELPER_NAMES[ins.imm] ?? 'unknown';
      const line = `${i}: bpfsim does not implement helper ${fn}#${ins.imm}`;
      return fail(Errno.EINVAL, line, (verdict.log ? verdict.log.replace(/\n?$/, '\n') : '') + line + '\n');
    }
    helperIds.add(ins.imm);
  }

  // The verifier's rewrite: map references become the map's (or value's) address.
  const out = insns.slice();
  for (const [i, map] of mapOfSlot) {
    const ins = insns[i];
    let addr = map.addr;
    if (ins.src === BPF_PSEUDO_MAP_VALUE || ins.src === BPF_PSEUDO_MAP_IDX_VALUE) {
      const off = insns[i + 1].imm >>> 0;
      const base = map.lookupAddr(new Uint8Array(map.keySize), 0);
      if (base === 0n || off >= map.valueSize) return fail(Errno.EINVAL, `invalid access to map value pointer, value_size=${map.valueSize} off=${off}`);
      addr = base + BigInt(off);
    }
    out[i] = ins.with({ src: 0, imm: Number(addr & 0xffffffffn) | 0 });
    out[i + 1] = insns[i + 1].with({ imm: Number(addr >> 32n) | 0 });
  }

  const prog = new BpfProg({
    id: kernel.bpf.allocId('prog'), type: attr.progType, name, expectedAttachType: attr.expectedAttachType ?? 0,
    insns: out, license, gplCompatible: licenseIsGplCompatible(license), maps: used, helperIds: [...helperIds].sort((a, b) => a - b),
    progFlags: attr.progFlags ?? 0, log: verdict.log, processed: verdict.processed, loadTime: kernel.clock.boottimeNs,
    missingHelpers: [...new Set(missing)].sort((a, b) => a - b), attachBtfId: attr.attachBtfId ?? 0,
  });
  const fd = kernel.bpf.installProg(prog);
  return { fd, log: verdict.log, error: '', prog, logTrueSize: verdict.logTrueSize };
}

/**
 * bpf_map_is_rdonly with map_direct_value_addr: a frozen BPF_F_RDONLY_PROG array of one element
 * (libbpf's .rodata/.kconfig) hands the verifier its contents, which loads read as constants.
 */
function rdonlyValue(map: BpfMap): Uint8Array | undefined {
  if (!map.frozen || (map.flags & 0x80 /* BPF_F_RDONLY_PROG */) === 0 || map.type !== 2 /* ARRAY */ || map.maxEntries !== 1) return undefined;
  const v = map.lookup(new Uint8Array(4));
  return v instanceof Uint8Array ? v : undefined;
}
