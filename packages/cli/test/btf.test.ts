/** `bpfsim btf dump`: the profile kernel's BTF and a file's, raw and as C, as bpftool prints them. */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { cli, tmpFile } from './helpers';

const CORPUS = path.resolve(__dirname, '../../../corpus');
const hasBpftool = spawnSync('bpftool', ['version']).status === 0;
const bpftool = (...a: string[]) => spawnSync('bpftool', ['btf', 'dump', 'file', ...a], { encoding: 'utf8', maxBuffer: 256 << 20 }).stdout;

describe('bpfsim btf dump', () => {
  test('default: the profile kernel, raw and C', async () => {
    const raw = await cli('btf', 'dump');
    expect(raw.code).toBe(0);
    expect(raw.out).toMatch(/^\[1\] /);
    expect(raw.out).toMatch(/\n\[\d+\] STRUCT 'task_struct' size=\d+ vlen=\d+\n/);
    const c = await cli('btf', 'dump', '--format', 'c');
    expect(c.code).toBe(0);
    expect(c.out).toMatch(/^#ifndef __VMLINUX_H__\n/);
    expect(c.out).toMatch(/\nstruct task_struct \{\n/);
    expect(c.out.endsWith('#endif /* __VMLINUX_H__ */\n')).toBe(true);
  });

  (hasBpftool ? test : test.skip)('--file: an object, equal to bpftool in both formats', async () => {
    const f = path.join(CORPUS, 'core_task.bpf.o');
    expect((await cli('btf', 'dump', '--file', f, '--format', 'c')).out).toBe(bpftool(f, 'format', 'c'));
    expect((await cli('btf', 'dump', '--file', f)).out).toBe(bpftool(f));
  });

  test('a file that is neither BTF nor ELF is one error line', async () => {
    const r = await cli('btf', 'dump', '--file', tmpFile('junk.bin', 'not btf at all'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^bpfsim: .*junk\.bin.*ELF magic/);
    expect(r.err.split('\n').length).toBe(2);
  });
});

describe('bpfsim inspect --unmodelled', () => {
  test("lists the CO-RE field reads of an object's programs that the model leaves zero", async () => {
    const f = path.join(CORPUS, 'core_task.bpf.o');
    const r = await cli('inspect', f, '--unmodelled');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Kernel fields the programs read \(CO-RE\) that the model leaves zero:\n\s+PROGRAM\s+INSN\s+FIELD\n/);
    expect(r.out).toMatch(/core_bitfields\s+\d+\s+struct task_struct\.in_execve\n/);
    // Fields the world's task mirror writes (trace/task-objects.ts) are not listed.
    expect(r.out).not.toMatch(/task_struct\.real_parent/);
    // A field absent from the profile kernel is not read at all: not listed.
    expect(r.out).not.toMatch(/bpfsim_no_such_field/);
    const j = JSON.parse((await cli('inspect', f, '--unmodelled', '--json')).out);
    // task_struct bitfields the model leaves zero are listed; dentry names are written by the model (trace/file-objects.ts)
    expect(j.unmodelled).toEqual(expect.arrayContaining([expect.objectContaining({ program: 'core_bitfields', struct: 'task_struct', path: 'in_iowait' })]));
    expect(j.unmodelled).not.toEqual(expect.arrayContaining([expect.objectContaining({ struct: 'dentry', path: 'd_name.name' })]));
  });
});
