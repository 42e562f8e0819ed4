/**
 * A loaded program: what BPF_PROG_LOAD leaves behind. `insns` are runnable:
 * map references were resolved to the simulated addresses of the map objects
 * and values, as the kernel's verifier rewrites them.
 */
import type { Insn } from '@bpfsim/isa';
import type { ProgRef, BpfMap } from './maps/map';

export interface BpfProgInit {
  id: number;
  type: number;
  name: string;
  expectedAttachType: number;
  insns: Insn[];
  license: string;
  gplCompatible: boolean;
  maps: BpfMap[];
  helperIds: number[];
  /** Helpers bpfsim cannot run, accepted by a verify-only kernel (KernelOptions.verifyOnly). */
  missingHelpers?: number[];
  progFlags: number;
  log: string;
  processed: number;
  /** Virtual time of the load (ns, CLOCK_BOOTTIME). */
  loadTime: bigint;
  /** attach_btf_id: a BTF-typed program's target in the kernel BTF (0: none). */
  attachBtfId?: number;
}

export class BpfProg implements ProgRef {
  readonly id: number;
  readonly type: number;
  readonly name: string;
  readonly expectedAttachType: number;
  readonly insns: readonly Insn[];
  readonly license: string;
  readonly gplCompatible: boolean;
  /** Maps the program refers to (used_maps), in first-reference order. */
  readonly maps: readonly BpfMap[];
  /** Helper ids the program calls, ascending. */
  readonly helperIds: readonly number[];
  /** Helpers bpfsim cannot run (only a verify-only kernel loads such a program; it cannot run). */
  readonly missingHelpers: readonly number[];
  readonly progFlags: number;
  /** The verifier log of the load (at the requested level). */
  readonly log: string;
  readonly processed: number;
  readonly loadTime: bigint;
  /** attach_btf_id of the load (tp_btf, fentry/fexit, iter targets); 0 for other programs. */
  readonly attachBtfId: number;
  /** prog_array compatibility: the kernel compares type, jited-ness, xdp_has_frags. */
  readonly compatKey: string;
  /** Runs so far and their virtual run time (bpf_prog_stats). */
  runCnt = 0;
  runTimeNs = 0n;

  constructor(init: BpfProgInit) {
    this.id = init.id;
    this.type = init.type;
    this.name = init.name;
    this.expectedAttachType = init.expectedAttachType;
    this.insns = init.insns;
    this.license = init.license;
    this.gplCompatible = init.gplCompatible;
    this.maps = init.maps;
    this.helperIds = init.helperIds;
    this.missingHelpers = init.missingHelpers ?? [];
    this.progFlags = init.progFlags;
    this.log = init.log;
    this.processed = init.processed;
    this.loadTime = init.loadTime;
    this.attachBtfId = init.attachBtfId ?? 0;
    this.compatKey = `${init.type}:${init.progFlags & BPF_F_XDP_HAS_FRAGS ? 'frags' : ''}`;
  }

  /** The name the trace and messages use: "name" or "prog#id" for unnamed programs. */
  get label(): string {
    return this.name || `prog#${this.id}`;
  }
}

/** prog_flags bits (linux/bpf.h). */
export const BPF_F_STRICT_ALIGNMENT = 1 << 0;
export const BPF_F_ANY_ALIGNMENT = 1 << 1;
export const BPF_F_TEST_RND_HI32 = 1 << 2;
export const BPF_F_TEST_STATE_FREQ = 1 << 3;
export const BPF_F_SLEEPABLE = 1 << 4;
export const BPF_F_XDP_HAS_FRAGS = 1 << 5;
export const BPF_F_XDP_DEV_BOUND_ONLY = 1 << 6;
export const BPF_F_TEST_REG_INVARIANTS = 1 << 7;
