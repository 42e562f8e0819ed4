/** Test helpers: the committed corpus, the host's kconfig and the libbpf-load tool. */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { Btf, KconfigValue, kernelVersionCode, parseBtf, parseKconfigText } from '../../src';

export const ROOT = path.resolve(__dirname, '../../../..');
export const CORPUS = path.join(ROOT, 'corpus');

/** corpus/*.bpf.o, sorted. */
export function corpusObjects(): string[] {
  return fs.readdirSync(CORPUS).filter((f) => f.endsWith('.bpf.o')).sort();
}

export function readObject(name: string): Uint8Array {
  return new Uint8Array(fs.readFileSync(path.join(CORPUS, name)));
}

/** The running kernel's BTF, or undefined (then CO-RE checks skip). */
let vmlinux: Btf | null | undefined;
export function hostBtf(): Btf | undefined {
  if (vmlinux === undefined) {
    vmlinux = fs.existsSync('/sys/kernel/btf/vmlinux') ? parseBtf(fs.readFileSync('/sys/kernel/btf/vmlinux'), '/sys/kernel/btf/vmlinux') : null;
  }
  return vmlinux ?? undefined;
}

/** Kconfig values as libbpf would find them on this host (plus the LINUX_* values libbpf computes). */
export function hostKconfig(): Record<string, KconfigValue> {
  let cfg: Record<string, KconfigValue> = {};
  try {
    cfg = parseKconfigText(zlib.gunzipSync(fs.readFileSync('/proc/config.gz')).toString('utf8'));
  } catch {
    // no config: tests that need it pass their own
  }
  return { ...cfg, LINUX_KERNEL_VERSION: kernelVersionCode(os.release()), LINUX_HAS_SYSCALL_WRAPPER: 'y', LINUX_HAS_BPF_COOKIE: 'y' };
}

/** Fixed kconfig for deterministic tests (independent of the host). */
export const FIXED_KCONFIG: Record<string, KconfigValue> = {
  LINUX_KERNEL_VERSION: 0x061200,
  LINUX_HAS_SYSCALL_WRAPPER: 'y',
  LINUX_HAS_BPF_COOKIE: 'y',
  CONFIG_BPF_SYSCALL: 'y',
  CONFIG_HZ: 1000,
};

export interface LibbpfProg {
  name: string;
  section: string;
  type: number;
  expected_attach_type: number;
  accepted: boolean;
  errno: number;
  log: string;
  insns?: string;
  map_fds?: Record<string, number>;
  xlated_len?: number;
  func_info?: [number, number][];
  line_info?: [number, string, number, number, string][];
  datasecs?: [string, number, [string, number, number, number][]][];
}
export interface LibbpfMap {
  map: string;
  type: number;
  key_size: number;
  value_size: number;
  max_entries: number;
  map_flags: number;
  btf_key_type_id: number;
  btf_value_type_id: number;
}

/** Build tools/libbpf-load; undefined + reason when it can't be built. */
export function libbpfLoad(): { path?: string; reason?: string } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ensureBuilt } = require(path.join(ROOT, 'tools/libbpf-load/build.js'));
  return ensureBuilt();
}

export function runLibbpfLoad(tool: string, object: string, sets: string[] = []): { progs: LibbpfProg[]; maps: LibbpfMap[]; stderr: string } {
  const args = ['--maps', ...sets.flatMap((s) => ['--set', s]), path.join(CORPUS, object)];
  const r = spawnSync(tool, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  const lines = (r.stdout || '').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  return { progs: lines.filter((l) => 'name' in l), maps: lines.filter((l) => 'map' in l), stderr: r.stderr };
}

/** The committed CO-RE target (tools/gen-min-btf.js): deterministic on every machine. */
export function minTargetBtf(): Btf {
  const file = path.join(CORPUS, 'btf', 'vmlinux.min.btf');
  return parseBtf(fs.readFileSync(file), 'corpus/btf/vmlinux.min.btf');
}
