/**
 * The names maps reach the kernel with, against the system libbpf on the real kernel:
 * tools/libbpf-load --kernel-maps loads an object (never attaching) and reads each map's
 * name back with BPF_OBJ_GET_INFO_BY_FD. libbpf cuts every name to the kernel's 15
 * characters (bpf_map_create's libbpf_strlcpy) and names global data and .kconfig maps
 * "<object prefix>.<section>" (internal_map_name); the object name is 15 characters of
 * the file's basename, cut at its first '.'. bpfsim's MapSpec.kernelName must be the same. Ring
 * buffer sizes go through libbpf's adjust_ringbuf_sz (a power-of-2 number of pages).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { adjustRingbufSize, loadObject } from '../src';
import { ROOT, hostBtf, hostKconfig, libbpfLoad } from './helpers/corpus';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const tape = require('../../../tools/oracle/tape');

const FIXTURE = 'packages/loader/test/fixtures/map_names_truncated.bpf.o';
const tool = libbpfLoad();
const maybe = tool.path ? describe : describe.skip;
if (!tool.path) console.warn(`map name parity skipped: ${tool.reason}`);

interface KernelMap { kmap: string; kernel_name: string; type: number; max_entries: number }

function libbpfKernelMaps(object: string): KernelMap[] {
  const bytes = fs.readFileSync(path.join(ROOT, object));
  const out = tape.ask('exec.libbpf-load', { object, bytes, args: ['--kernel-maps', '--no-insns'] }, () => {
    const r = spawnSync(tool.path!, ['--kernel-maps', '--no-insns', path.join(ROOT, object)], { encoding: 'utf8' });
    return { stdout: r.stdout || '', stderr: r.stderr || '' };
  }) as { stdout: string };
  return out.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((l) => 'kmap' in l);
}

maybe('map names as libbpf gives them to the kernel', () => {
  test('long BTF map names, global data, .kconfig and ring buffer sizes: the same kernel names, types and sizes', () => {
    const real = libbpfKernelMaps(FIXTURE);
    const ours = loadObject(fs.readFileSync(path.join(ROOT, FIXTURE)), { file: FIXTURE, kconfig: hostKconfig(), targetBtf: hostBtf() });
    const byName = (a: { name: string; type: number; max: number }[]): string[] => a.map((m) => `${m.name}:${m.type}:${m.max}`).sort();
    expect(real.length).toBeGreaterThanOrEqual(12);
    expect(byName(ours.maps.map((m) => ({ name: m.kernelName, type: m.type, max: m.maxEntries }))))
      .toEqual(byName(real.map((m) => ({ name: m.kernel_name, type: m.type, max: m.max_entries }))));
    // Every one is a name the kernel accepts.
    for (const m of ours.maps) expect(m.kernelName).toMatch(/^[A-Za-z0-9_.]{1,15}$/);
  });

  test('adjustRingbufSize: the power-of-2 page multiple at or above the size', () => {
    expect([0, 1, 4095, 4096, 4097, 8192, 12288, 16384, 262144, 262145].map(adjustRingbufSize))
      .toEqual([0, 4096, 4096, 4096, 8192, 8192, 16384, 16384, 262144, 524288]);
    // Past the largest u32 page multiple there is none: the size stays and the kernel refuses it.
    expect(adjustRingbufSize(0xfffff001)).toBe(0xfffff001);
  });

  test('the object name: 15 characters of the basename, cut at the first dot', () => {
    const bytes = fs.readFileSync(path.join(ROOT, FIXTURE));
    const names = (file: string): string[] => loadObject(bytes, { file, kconfig: hostKconfig(), targetBtf: hostBtf() }).maps.map((m) => m.kernelName).sort();
    // "abcdefghijklmnop.bpf.o" keeps "abcdefghijklmno": the .rodata prefix is still its first 8.
    expect(names('dir/abcdefghijklmnop.bpf.o')).toContain('abcdefgh.rodata');
    // A basename starting with '.' gives libbpf an empty object name.
    expect(names('.x.bpf.o')).toContain('.rodata');
    expect(names('.x.bpf.o')).toContain('.kconfig');
    expect(names('ab.bpf.o')).toContain('ab.kconfig');
  });
});
