/** `bpfsim inspect`: text and JSON views of a corpus object, and errors as one line. */
import * as path from 'path';
import { loadObject } from '@bpfsim/loader';
import * as fs from 'fs';
import { cli, tmpFile } from './helpers';

const CORPUS = path.resolve(__dirname, '../../../corpus');
const obj = (f: string) => path.join(CORPUS, f);

describe('bpfsim inspect', () => {
  test('programs, maps, relocations and CO-RE of an object', async () => {
    const r = await cli('inspect', obj('core_task.bpf.o'), '--target-btf', obj('btf/vmlinux.min.btf'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/license "GPL" \(GPL-compatible\), 4 programs, 3 maps, BTF \d+ types/);
    expect(r.out).toMatch(/core_new_task\s+kprobe\/wake_up_new_task\s+kprobe\s+-\s+kprobe wake_up_new_task\s+\d+\s+\d+\s+1/);
    expect(r.out).toMatch(/0\s+last_task\s+array\s+4 \(__u32\)\s+\d+ \(struct task_info\)\s+1\s+0x0/);
    expect(r.out).toMatch(/CO-RE byte_off\s+struct task_struct\.real_parent \(0:4 @ offset 16\)\s+16 -> \d+/);
    expect(r.out).toMatch(/CO-RE field_exists\s+struct task_struct\.bpfsim_no_such_field .* 1 -> 0/);
  });

  test('--json agrees with the loader', async () => {
    const r = await cli('inspect', obj('tailcall.bpf.o'), '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    const o = loadObject(new Uint8Array(fs.readFileSync(obj('tailcall.bpf.o'))), { file: 'x' });
    expect(j.programs.map((p: { name: string; insnCount: number }) => [p.name, p.insnCount])).toEqual(o.programs.map((p) => [p.name, p.insns.length]));
    expect(j.maps[0]).toMatchObject({ name: 'jump_table', typeName: 'BPF_MAP_TYPE_PROG_ARRAY', maxEntries: 2,
      initSlots: [{ index: 0, kind: 'prog', target: 'tail_ipv4' }, { index: 1, kind: 'prog', target: 'tail_ipv6' }] });
  });

  test('sub-program calls and global data are listed as relocations', async () => {
    const r = await cli('inspect', obj('subprogs.bpf.o'));
    expect(r.out).toMatch(/insn\s+3\s+R_BPF_64_32\s+\.text\s+call sum_squares \(insn 8\)/);
    expect(r.out).toMatch(/R_BPF_64_64\s+\.text\s+address of loop_body \(insn 17\)/);
    const g = await cli('inspect', obj('global_data.bpf.o'));
    expect(g.out).toMatch(/R_BPF_64_64\s+stats\s+value of \.data\.stats \+ 0/);
  });

  test('a broken object is one error line and exit 2', async () => {
    const bytes = new Uint8Array(fs.readFileSync(obj('xdp_drop_icmp.bpf.o')));
    bytes[18] = 62;
    const p = tmpFile('bad.bpf.o', bytes);
    const r = await cli('inspect', p);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`bpfsim: ${p}: offset 18: expected e_machine EM_BPF (247), found 62\n`);
  });
});
