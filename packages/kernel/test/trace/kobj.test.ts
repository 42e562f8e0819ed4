/**
 * Kernel objects laid out by the profile BTF (src/mm/kobj.ts): field offsets agree with
 * bpftool's reading of the same BTF and with clang's layout of the emitted vmlinux.h; what is
 * written is what bpf_probe_read_kernel and a clang-built BPF_CORE_READ tracer read back; the
 * registry of modelled fields tells which CO-RE reads of an object nobody writes.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { btfFromFile, formatBtfC, loadObject } from '@bpfsim/loader';
import {
  Kernel, KernelObjects, KobjError, ptRegs, resolveField, vmlinuxBtf, VMLINUX_BTF_FILE,
  declareModelledFields, isFieldModelled, unmodelledCoreReads, checkModelledFields,
} from '@bpfsim/kernel';

const FIX = path.join(__dirname, 'fixtures');
const clang = ['clang-19', 'clang'].find((c) => spawnSync(c, ['--version']).status === 0);
const hasBpftool = spawnSync('bpftool', ['version']).status === 0;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-kobj-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let vmlinuxH: string | undefined;
function header(): string {
  if (!vmlinuxH) {
    vmlinuxH = path.join(tmp, 'vmlinux.h');
    fs.writeFileSync(vmlinuxH, formatBtfC(vmlinuxBtf()));
  }
  return tmp;
}

function compile(src: string, out: string): Buffer {
  const r = spawnSync(clang!, ['-g', '-O2', '-target', 'bpf', '-D__TARGET_ARCH_x86', '-I', header(), '-c', src, '-o', out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return fs.readFileSync(out);
}

const PATHS: [string, string][] = [
  ['task_struct', 'pid'], ['task_struct', 'tgid'], ['task_struct', 'comm'], ['task_struct', 'real_parent'], ['task_struct', '__state'],
  ['task_struct', 'se.sum_exec_runtime'], ['task_struct', 'real_cred'], ['task_struct', 'mm'], ['task_struct', 'start_time'], ['task_struct', 'nsproxy'],
  ['cred', 'uid'], ['cred', 'euid.val'], ['cred', 'cap_effective'],
  ['sock', '__sk_common.skc_dport'], ['sock', '__sk_common.skc_num'], ['sock', '__sk_common.skc_daddr'], ['sock', '__sk_common.skc_rcv_saddr'],
  ['sock', '__sk_common.skc_family'], ['sock', '__sk_common.skc_v6_daddr.in6_u.u6_addr8[15]'], ['sock', 'sk_type'],
  ['file', 'f_path.dentry'], ['file', 'f_inode'], ['file', 'f_flags'], ['dentry', 'd_name.name'], ['dentry', 'd_name.len'], ['dentry', 'd_parent'], ['dentry', 'd_inode'],
];

describe('field layout from the profile BTF', () => {
  const btf = vmlinuxBtf();

  (hasBpftool ? test : test.skip)('top-level members of task_struct, cred, sock, file, dentry sit where bpftool reads them', () => {
    const raw = path.join(tmp, 'vmlinux.btf');
    fs.writeFileSync(raw, zlib.brotliDecompressSync(fs.readFileSync(VMLINUX_BTF_FILE)));
    const dump = spawnSync('bpftool', ['btf', 'dump', 'file', raw], { encoding: 'utf8', maxBuffer: 256 << 20 }).stdout;
    let checked = 0;
    for (const s of ['task_struct', 'cred', 'sock', 'file', 'dentry']) {
      const head = new RegExp(`^\\[\\d+\\] STRUCT '${s}' size=(\\d+) vlen=(\\d+)$`, 'm').exec(dump)!;
      const lines = dump.slice(head.index).split('\n').slice(1, 1 + Number(head[2]));
      for (const l of lines) {
        const m = /^\t'([^']+)' type_id=\d+ bits_offset=(\d+)(?: bitfield_size=(\d+))?$/.exec(l);
        if (!m || m[1] === '(anon)') continue;
        const f = resolveField(btf, s, m[1]);
        expect([m[1], f.offset * 8 + f.bitShift, f.bitSize]).toEqual([m[1], Number(m[2]), Number(m[3] ?? 0)]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(200);
  });

  (clang ? test : test.skip)('nested paths (anonymous unions, arrays) match clang\'s offsetof on the emitted vmlinux.h', () => {
    const src = path.join(tmp, 'offsets.bpf.c');
    fs.writeFileSync(src, `#include "vmlinux.h"\nconst volatile unsigned long offs[] = {\n${PATHS.map(([s, p]) => `\t__builtin_offsetof(struct ${s}, ${p}),`).join('\n')}\n};\nchar LICENSE[] __attribute__((section("license"))) = "GPL";\n`);
    const obj = loadObject(new Uint8Array(compile(src, path.join(tmp, 'offsets.bpf.o'))), { file: 'offsets.bpf.o' });
    const ro = obj.maps.find((m) => m.name.endsWith('.rodata'))!;
    const dv = new DataView(ro.initialValue!.buffer, ro.initialValue!.byteOffset);
    PATHS.forEach(([s, p], i) => expect(`${s}.${p}@${resolveField(btf, s, p).offset}`).toBe(`${s}.${p}@${dv.getBigUint64(i * 8, true)}`));
  });

  test('bad paths are typed errors naming the struct and the member', () => {
    expect(() => resolveField(btf, 'task_struct', 'no_such')).toThrow(/struct task_struct: no_such: no member 'no_such'/);
    expect(() => resolveField(btf, 'no_struct_x', 'pid')).toThrow(KobjError);
    expect(() => resolveField(btf, 'task_struct', 'pid.x')).toThrow(/non-struct/);
    expect(() => resolveField(btf, 'task_struct', 'comm[16]')).toThrow(/index 16 past 16/);
    expect(() => resolveField(btf, 'task_struct', 'se..x')).toThrow(/bad field path/);
  });
});

describe('objects in kernel memory', () => {
  test('written fields read back, through the AddressSpace as bpf_probe_read_kernel sees them', () => {
    const k = new Kernel({ seed: 1 });
    const ko = new KernelObjects(k.mem);
    const parent = ko.alloc('task_struct').set('tgid', 1).set('pid', 1);
    const t = ko.alloc('task_struct').set('pid', 4242).set('tgid', 4240).set('comm', 'a-very-long-command-name').set('real_parent', parent)
      .set('se.sum_exec_runtime', 123456789012n).set('__state', 0x402).set('in_execve', 1);
    expect(t.get('pid')).toBe(4242n);
    expect(t.string('comm')).toBe('a-very-long-com'); // TASK_COMM_LEN - 1 bytes and a NUL
    expect(k.mem.readU64(t.addrOf('real_parent'))).toBe(parent.addr);
    expect(k.mem.readU32(k.mem.readU64(t.addrOf('real_parent')) + BigInt(t.field('tgid').offset))).toBe(1);
    expect(k.mem.readU64(t.addr + BigInt(resolveField(vmlinuxBtf(), 'task_struct', 'se').offset) + BigInt(resolveField(vmlinuxBtf(), 'sched_entity', 'sum_exec_runtime').offset))).toBe(123456789012n);
    expect(t.get('in_execve')).toBe(1n);
    t.set('sched_reset_on_fork', 1).set('in_execve', 0);
    expect([t.get('sched_reset_on_fork'), t.get('in_execve')]).toEqual([1n, 0n]);
    expect(t.get('sched_contributes_to_load')).toBe(0n); // neighbours of a bitfield untouched
    const d = ko.alloc('dentry').set('d_name.name', 'passwd').set('d_name.len', 6);
    expect(d.string('d_name.name')).toBe('passwd');
    expect(ko.objectAt(t.addrOf('comm'))).toBe(t);
    expect(() => t.set('comm', 5)).toThrow(/not a scalar/);
    expect(() => t.set('pid', new Uint8Array(8))).toThrow(/holds 4 bytes/);
    // signed fields sign-extend; unmodelled fields are zero
    t.set('prio', -5);
    expect(t.get('prio')).toBe(-5n);
    expect(t.get('flags')).toBe(0n);
  });

  (clang ? test : test.skip)('a clang-built BPF_CORE_READ tracer reads what was written', () => {
    const bytes = compile(path.join(FIX, 'core_read.bpf.c'), path.join(tmp, 'core_read.bpf.o'));
    const k = new Kernel({ seed: 1, btf: vmlinuxBtf() });
    const ko = new KernelObjects(k.mem);
    const leader = ko.alloc('task_struct').set('comm', 'nginx');
    const parent = ko.alloc('task_struct').set('tgid', 77);
    const cred = ko.alloc('cred').set('uid.val', 1000);
    const t = ko.alloc('task_struct').set('pid', 4242).set('tgid', 4240).set('real_parent', parent).set('group_leader', leader)
      .set('se.sum_exec_runtime', 987654321n).set('real_cred', cred).set('__state', 0x402).set('start_time', 5_000_000_000n).set('in_execve', 1);
    const sk = ko.alloc('sock').set('__sk_common.skc_dport', 0x5000).set('__sk_common.skc_family', 2).set('__sk_common.skc_daddr', 0x0100007f)
      .set('sk_no_check_rx', 1).set('sk_scm_unused', 0xa);
    const dentry = ko.alloc('dentry').set('d_name.name', 'hosts');
    const f = ko.alloc('file').set('f_path.dentry', dentry);
    const lo = k.loadObject(new Uint8Array(bytes), { file: 'core_read.bpf.o' });
    const p = lo.program('read_objs');
    p.exercise({ ctxIn: ptRegs({ di: t.addr, si: sk.addr, dx: f.addr }) });
    const slot = (i: number) => {
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, i, true);
      return new DataView(lo.map('out').lookup(key)!.buffer).getBigUint64(0, true);
    };
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map(slot)).toEqual([4242n, 4240n, 77n, 987654321n, 1000n, 0x5000n, 2n, 0x0100007fn, 1n, 0x402n, 5_000_000_000n, 1n, 0xan]);
    const names = lo.map('strs').lookup(new Uint8Array(4))!;
    const str = (b: Uint8Array) => Buffer.from(b.subarray(0, b.indexOf(0))).toString();
    expect([str(names.subarray(0, 16)), str(names.subarray(16))]).toEqual(['nginx', 'hosts']);
  });
});

describe('the registry of modelled fields', () => {
  (clang ? test : test.skip)('CO-RE reads of fields nobody declared are listed; declared ones (and their parts) are not', () => {
    const bytes = new Uint8Array(compile(path.join(FIX, 'core_read.bpf.c'), path.join(tmp, 'core_read2.bpf.o')));
    const obj = loadObject(bytes, { file: 'core_read.bpf.o', targetBtf: vmlinuxBtf(), allowMissingKconfig: true });
    const before = unmodelledCoreReads(obj).map((r) => `${r.struct}.${r.path}`);
    expect(before).toEqual(expect.arrayContaining(['task_struct.se.sum_exec_runtime', 'task_struct.in_execve']));
    // the file objects of kprobe arguments (trace/file-objects.ts) declare dentry names
    expect(before).not.toContain('dentry.d_name.name');
    // The world's task mirror (trace/task-objects.ts) declares what it writes: pid, comm, real_parent, cred...
    expect(before.filter((x) => ['task_struct.pid', 'task_struct.comm', 'task_struct.real_parent', 'task_struct.real_cred'].some((m) => x.startsWith(m)))).toEqual([]);
    declareModelledFields('task_struct', ['pid', 'tgid', 'real_parent', 'se'], 'test');
    declareModelledFields('sock', ['__sk_common.skc_dport'], 'test');
    expect(isFieldModelled('task_struct', 'se.sum_exec_runtime')).toBe(true);
    expect(isFieldModelled('task_struct', 'sched_info.run_delay')).toBe(false);
    const after = unmodelledCoreReads(obj).map((r) => `${r.struct}.${r.path}`);
    expect(after.filter((x) => x.startsWith('task_struct.pid') || x.startsWith('task_struct.se') || x === 'sock.__sk_common.skc_dport')).toEqual([]);
    expect(after).toEqual(expect.arrayContaining(['task_struct.in_execve']));
    expect(checkModelledFields()).toEqual([]);
    declareModelledFields('task_struct', ['no_such_field'], 'test');
    expect(checkModelledFields()).toEqual([expect.stringMatching(/^task_struct\.no_such_field: .*no member/)]);
  });
});
