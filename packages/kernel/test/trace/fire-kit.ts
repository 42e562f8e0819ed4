/**
 * For the fire-*.test.ts tests: clang-builds a tool of fixtures/ against the profile's vmlinux.h,
 * sets its `const volatile` variables as a skeleton would (skel->rodata->NAME = VALUE), loads it
 * into a kernel with the profile BTF, attaches each program by its SEC() name, and reads what
 * user space would: ring buffer records and map entries.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { formatBtfC, type BpfObject } from '@bpfsim/loader';
import { Kernel, parseObject, vmlinuxBtf, type LoadedObject, type TaskStruct } from '../../src';

export const clang = ['clang-19', 'clang'].find((c) => spawnSync(c, ['--version']).status === 0);

let dir: string | undefined;
const built = new Map<string, Uint8Array>();

/** The object of fixtures/<name>.bpf.c, compiled once per test file. */
export function buildTool(name: string): Uint8Array {
  let b = built.get(name);
  if (b) return b;
  if (!dir) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-fire-'));
    fs.writeFileSync(path.join(dir, 'vmlinux.h'), formatBtfC(vmlinuxBtf()));
    process.on('exit', () => fs.rmSync(dir!, { recursive: true, force: true }));
  }
  const out = path.join(dir, `${name}.bpf.o`);
  const r = spawnSync(clang!, ['-g', '-O2', '-target', 'bpf', '-D__TARGET_ARCH_x86', '-I', dir, '-c', path.join(__dirname, 'fixtures', `${name}.bpf.c`), '-o', out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  b = new Uint8Array(fs.readFileSync(out));
  built.set(name, b);
  return b;
}

/** Write a global of a data section (.rodata by default) before load, at the offset its DATASEC gives. */
export function setGlobal(obj: BpfObject, name: string, value: bigint | number | boolean, section = '.rodata'): void {
  const btf = obj.btf!;
  const sec = btf.types.find((t) => t.kind === 15 && t.name === section);
  if (!sec || sec.kind !== 15) throw new Error(`no ${section} in the object`);
  const v = sec.vars.find((x) => (btf.types[x.type] as { name?: string }).name === name);
  if (!v) throw new Error(`no variable ${name} in ${section}`);
  const map = obj.maps.find((m) => m.name.endsWith(section))!;
  const bytes = new Uint8Array(v.size);
  let n = BigInt.asUintN(v.size * 8, BigInt(value));
  for (let i = 0; i < v.size; i++, n >>= 8n) bytes[i] = Number(n & 0xffn);
  map.initialValue!.set(bytes, v.offset);
}

export interface Tool {
  k: Kernel;
  obj: LoadedObject;
}

/** A kernel (seeded), the tool loaded with `globals` set, every program attached to its SEC() name. */
export function loadTool(name: string, opts: { seed?: string; globals?: Record<string, bigint | number | boolean>; kernel?: Kernel } = {}): Tool {
  const k = opts.kernel ?? new Kernel({ seed: opts.seed ?? 'fire', cpus: 2, btf: vmlinuxBtf() });
  // The world is up before the tool starts, as on a running machine (boot's forks are not seen).
  void k.world;
  const parsed = parseObject(buildTool(name), `${name}.bpf.o`, k);
  for (const [n, v] of Object.entries(opts.globals ?? {})) setGlobal(parsed, n, v);
  const obj = k.loadObject(parsed, { file: `${name}.bpf.o` });
  for (const p of parsed.programs) obj.program(p.name).attach(p.section);
  return { k, obj };
}

/** Ring buffer records as user space consumes them. */
export function ringRecords(t: Tool, map = 'events'): Uint8Array[] {
  return (t.obj.map(map).map as unknown as { consume(): Uint8Array[] }).consume();
}

/** fork from `parent` and execve `path` in the child (a shell starting a command). */
export function spawn(k: Kernel, parent: TaskStruct, path: string, argv: string[], envp: string[] = ['PATH=/bin']): { child: TaskStruct; execRet: number } {
  const r = k.syscall(parent, 'fork');
  if (r.ret < 0 || !r.child) throw new Error(`fork failed: ${r.ret}`);
  return { child: r.child, execRet: k.syscall(r.child, 'execve', [path, argv, envp]).ret };
}

export const cstring = (b: Uint8Array): string => Buffer.from(b.subarray(0, b.indexOf(0) < 0 ? b.length : b.indexOf(0))).toString('utf8');

/** NUL-separated strings of a buffer, `count` of them. */
export function cstrings(b: Uint8Array, count: number): string[] {
  const out: string[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const end = b.indexOf(0, at);
    out.push(Buffer.from(b.subarray(at, end)).toString('utf8'));
    at = end + 1;
  }
  return out;
}
