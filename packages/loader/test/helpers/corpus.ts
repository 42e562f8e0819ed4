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

// eslint-disable-next-line @typescript-eslint/no-var-requires
const tape = require('../../../../tools/oracle/tape');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const profile = require('../../../../tools/oracle/profile');

/**
 * The profile kernel's BTF (what libbpf reads from /sys/kernel/btf/vmlinux on the recording kernel):
 * the bundled packages/kernel/data/vmlinux.btf.br, the same on every host.
 */
let vmlinux: Btf | undefined;
export function hostBtf(): Btf | undefined {
  vmlinux ??= parseBtf(profile.profileBtfBytes(), 'vmlinux.btf (profile)');
  return vmlinux;
}

/** Kconfig values as libbpf found them on the recording kernel (plus the LINUX_* values libbpf computes). */
export function hostKconfig(): Record<string, KconfigValue> {
  const { text, release } = tape.ask('host.kconfig', null, () => {
    let t = '';
    try {
      t = zlib.gunzipSync(fs.readFileSync('/proc/config.gz')).toString('utf8');
    } catch {
      // no config: tests that need it pass their own
    }
    return { text: t, release: os.release() };
  }, { fact: true }) as { text: string; release: string };
  const cfg = text ? parseKconfigText(text) : {};
  return { ...cfg, LINUX_KERNEL_VERSION: kernelVersionCode(release), LINUX_HAS_SYSCALL_WRAPPER: 'y', LINUX_HAS_BPF_COOKIE: 'y' };
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

/** Build tools/libbpf-load for what libbpf alone answers (SEC() names); undefined path + reason when it can't be built. */
export function libbpfTool(): { path?: string; reason?: string } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ensureBuilt } = require(path.join(ROOT, 'tools/libbpf-load/build.js'));
  return ensureBuilt();
}

/** tools/libbpf-load for loading into the kernel: built (live/record), or answered from the tape (replay). */
export function libbpfLoad(): { path?: string; reason?: string } {
  const a = tape.availability(() => {
    const r = libbpfTool();
    return r.path ? { ok: true, path: r.path } : { ok: false, reason: r.reason };
  });
  return a.ok ? { path: a.path ?? 'tape' } : { reason: a.reason };
}

/** tools/libbpf-load on a corpus object: libbpf opens and loads it into the kernel (recorded on the profile kernel). */
export function runLibbpfLoad(tool: string, object: string, sets: string[] = []): { progs: LibbpfProg[]; maps: LibbpfMap[]; stderr: string } {
  const bytes = fs.readFileSync(path.join(CORPUS, object));
  const out = tape.ask('exec.libbpf-load', { object, bytes, sets }, () => {
    const args = ['--maps', ...sets.flatMap((s) => ['--set', s]), path.join(CORPUS, object)];
    const r = spawnSync(tool, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
    return { stdout: r.stdout || '', stderr: r.stderr || '' };
  }) as { stdout: string; stderr: string };
  const lines = out.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  return { progs: lines.filter((l) => 'name' in l), maps: lines.filter((l) => 'map' in l), stderr: out.stderr };
}

/** The committed CO-RE target (tools/gen-min-btf.js): deterministic on every machine. */
export function minTargetBtf(): Btf {
  const file = path.join(CORPUS, 'btf', 'vmlinux.min.btf');
  return parseBtf(fs.readFileSync(file), 'corpus/btf/vmlinux.min.btf');
}
