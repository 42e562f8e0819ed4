/**
 * cgroup:cgroup_mkdir / cgroup_rmdir / cgroup_attach_task and oom:mark_victim
 * fire for tracepoint programs with the 6.18 record layouts (the profile's
 * tracepoint formats): a program copies one field of each record into a map.
 */
import { assemble } from '@bpfsim/isa';
import { BpfMapType, BpfProgType as T } from '@bpfsim/uapi';
import type { Kernel } from '../../src';
import { CG, mkdir, newKernel, rmdir, spawn, stat, writeFile } from './helpers';

/** A tracepoint program that adds 1 to slot 0 and stores the u64 (or u32) at `off` in slot 1. */
function record(k: Kernel, tp: string, off: number, size: 'u64' | 'u32'): () => [bigint, bigint] {
  const m = k.bpf.mapCreate({ type: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 2 });
  const text = [
    `r6 = *(${size} *)(r1 + ${off})`,
    '*(u32 *)(r10 - 4) = 0',
    `r1 = map[id:${m}]`, 'r2 = r10', 'r2 += -4', 'call bpf_map_lookup_elem',
    'if r0 == 0 goto +2', 'r1 = 1', 'lock *(u64 *)(r0 + 0) += r1',
    '*(u32 *)(r10 - 4) = 1', '*(u64 *)(r10 - 16) = r6',
    `r1 = map[id:${m}]`, 'r2 = r10', 'r2 += -4', 'r3 = r10', 'r3 += -16', 'r4 = 0', 'call bpf_map_update_elem',
    'r0 = 0', 'exit',
  ].join('\n');
  const p = k.bpf.progLoad({ progType: T.TRACEPOINT, insns: assemble(text, { dialect: 'kernel' }), license: 'GPL', name: 'tp' });
  if (p.fd < 0) throw new Error(`load: ${p.log}`);
  expect(k.bpf.linkCreate({ progFd: p.fd, hook: `tracepoint/${tp}` })).toBeGreaterThan(0);
  const get = (i: number): bigint => {
    const v = k.bpf.mapLookupElem(m, new Uint8Array([i, 0, 0, 0])) as Uint8Array;
    return new DataView(v.buffer, v.byteOffset).getBigUint64(0, true);
  };
  return () => [get(0), get(1)];
}

test('mkdir, rmdir and attach_task records: the cgroup id, and the moved task\'s pid', () => {
  const k = newKernel('cg-tp');
  const sh = spawn(k);
  const mk = record(k, 'cgroup/cgroup_mkdir', 16, 'u64');
  const rm = record(k, 'cgroup/cgroup_rmdir', 16, 'u64');
  const at = record(k, 'cgroup/cgroup_attach_task', 24, 'u32');
  mkdir(k, sh, `${CG}/t`);
  const id = BigInt((stat(k, sh, `${CG}/t`) as { ino: number }).ino);
  expect(mk()).toEqual([1n, id]);
  const c = spawn(k, sh);
  writeFile(k, sh, `${CG}/t/cgroup.procs`, String(c.tgid));
  expect(at()).toEqual([1n, BigInt(c.pid)]);
  writeFile(k, sh, `${CG}/cgroup.procs`, String(c.tgid));
  expect(rmdir(k, sh, `${CG}/t`)).toBe(0);
  expect(rm()).toEqual([1n, id]);
  expect(at()[0]).toBe(2n);
});

test('oom:mark_victim names the task the memory controller kills', () => {
  const k = newKernel('cg-oom');
  const sh = spawn(k);
  const mv = record(k, 'oom/mark_victim', 8, 'u32');
  writeFile(k, sh, `${CG}/cgroup.subtree_control`, '+memory');
  mkdir(k, sh, `${CG}/m`);
  writeFile(k, sh, `${CG}/m/memory.max`, '64k');
  const a = spawn(k, sh);
  writeFile(k, sh, `${CG}/m/cgroup.procs`, String(a.tgid));
  expect(k.syscall(a, 'mmap', [0, 128 * 1024, 3, 0x22, -1, 0]).ret).toBeLessThan(0);
  expect(mv()).toEqual([1n, BigInt(a.pid)]);
});
