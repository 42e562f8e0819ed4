/**
 * CO-RE relocations. Against the committed target (corpus/btf/vmlinux.min.btf,
 * bpftool gen min_core_btf of the reference kernel) results are deterministic
 * everywhere; against the live /sys/kernel/btf/vmlinux they must be identical
 * (the min BTF keeps everything CO-RE needs). libbpf-parity.test.ts checks the
 * patched instructions against libbpf itself.
 */
import { encodeProgram } from '@bpfsim/isa';
import { Btf, BtfType, CORE_POISON_IMM, CoreReloKind, LoaderError, loadObject } from '../src';
import { corpusObjects, FIXED_KCONFIG, hostBtf, minTargetBtf, readObject } from './helpers/corpus';

const hex = (p: { insns: Parameters<typeof encodeProgram>[0] }) => Buffer.from(encodeProgram(p.insns)).toString('hex');
const min = minTargetBtf();

describe('CO-RE against the committed min target', () => {
  test('core_task: each relocation kind resolves to the reference kernel values', () => {
    const o = loadObject(readObject('core_task.bpf.o'), { file: 'core_task.bpf.o', targetBtf: min, kconfig: FIXED_KCONFIG });
    expect(o.coreResolved).toBe(true);
    const relos = o.programs.find((p) => p.name === 'core_new_task')!.coreRelos;
    const byKind = (k: number) => relos.filter((r) => r.kind === k);
    // Every kind the program uses appears, and no relocation was left unresolved.
    expect(new Set(relos.map((r) => r.kind))).toEqual(new Set([
      CoreReloKind.FIELD_BYTE_OFFSET, CoreReloKind.FIELD_BYTE_SIZE, CoreReloKind.FIELD_EXISTS, CoreReloKind.FIELD_SIGNED,
      CoreReloKind.TYPE_EXISTS, CoreReloKind.TYPE_SIZE, CoreReloKind.ENUMVAL_EXISTS, CoreReloKind.ENUMVAL_VALUE,
    ]));
    for (const r of relos) expect(r.resolved).toBeDefined();
    // Field offsets are the target's (never the local header's), read from the target BTF itself.
    const task = min.types.find((t): t is Extract<BtfType, { kind: 4 | 5 }> => t.kind === 4 && t.name === 'task_struct')!;
    const memberOff = (name: string) => task.members.find((m) => m.name === name)!.bitOffset / 8;
    const off = (spec: string) => byKind(CoreReloKind.FIELD_BYTE_OFFSET).find((r) => r.spec.startsWith(spec))!.resolved!.value;
    expect(off('struct task_struct.pid ')).toBe(memberOff('pid'));
    expect(off('struct task_struct.tgid ')).toBe(memberOff('tgid'));
    expect(off('struct task_struct.real_parent ')).toBe(memberOff('real_parent'));
    expect(off('struct task_struct.comm ')).toBe(memberOff('comm'));
    // Existence: the made-up field and type are absent, the real ones present.
    const exists = byKind(CoreReloKind.FIELD_EXISTS).map((r) => [r.spec.split(' ')[1], r.resolved!.value]);
    expect(exists).toEqual([['task_struct.bpfsim_no_such_field', 0], ['task_struct.flags', 1]]);
    expect(byKind(CoreReloKind.TYPE_EXISTS).map((r) => r.resolved!.value)).toEqual([0]);
    expect(byKind(CoreReloKind.TYPE_SIZE)[0].resolved!.value).toBe(task.size);
    expect(byKind(CoreReloKind.FIELD_BYTE_SIZE)[0].resolved!.value).toBe(4);
    expect(byKind(CoreReloKind.FIELD_SIGNED)[0].resolved!.value).toBe(1);
    expect(byKind(CoreReloKind.ENUMVAL_EXISTS)[0].resolved!.value).toBe(1);
    expect(byKind(CoreReloKind.ENUMVAL_VALUE)[0].resolved!.value).toBe(1);
    // And the patched instructions carry those values.
    const p = o.programs.find((x) => x.name === 'core_new_task')!;
    for (const r of byKind(CoreReloKind.FIELD_BYTE_OFFSET)) {
      const insn = p.insns[r.insn];
      const cls = insn.code & 7;
      expect(cls === 4 || cls === 7 ? insn.imm : insn.off).toBe(r.resolved!.value);
    }
  });

  test('core_bitfields: bitfield shifts and type ids (checked slot for slot against libbpf in libbpf-parity)', () => {
    const o = loadObject(readObject('core_task.bpf.o'), { file: 'x', targetBtf: min, kconfig: FIXED_KCONFIG });
    const p = o.programs.find((x) => x.name === 'core_bitfields')!;
    const kinds = new Set(p.coreRelos.map((r) => r.kind));
    for (const k of [CoreReloKind.FIELD_BYTE_OFFSET, CoreReloKind.FIELD_BYTE_SIZE, CoreReloKind.FIELD_LSHIFT_U64, CoreReloKind.FIELD_RSHIFT_U64,
      CoreReloKind.TYPE_ID_LOCAL, CoreReloKind.TYPE_ID_TARGET]) expect(kinds.has(k)).toBe(true);
    // A 1-bit field: right shift 63; its left shift puts the bit at the top of a u64.
    for (const r of p.coreRelos.filter((x) => x.kind === CoreReloKind.FIELD_RSHIFT_U64)) expect(r.resolved!.value).toBe(63);
    const local = p.coreRelos.find((r) => r.kind === CoreReloKind.TYPE_ID_LOCAL)!;
    expect(o.btf!.types[local.resolved!.value].name).toBe('task_struct');
    const target = p.coreRelos.find((r) => r.kind === CoreReloKind.TYPE_ID_TARGET)!;
    expect(min.types[target.resolved!.value].name).toBe('task_struct');
  });

  test('without a target, relocations are listed with clang\'s values and not applied', () => {
    const withT = loadObject(readObject('core_task.bpf.o'), { file: 'x', targetBtf: min, kconfig: FIXED_KCONFIG });
    const without = loadObject(readObject('core_task.bpf.o'), { file: 'x', kconfig: FIXED_KCONFIG });
    expect(without.coreResolved).toBe(false);
    const p = without.programs[0];
    expect(p.coreRelos.length).toBe(withT.programs[0].coreRelos.length);
    for (const r of p.coreRelos) expect(r.resolved).toBeUndefined();
    // pid is at offset 0 in the local header: the load still says 0.
    const pid = p.coreRelos.find((r) => r.spec.startsWith('struct task_struct.pid '))!;
    expect(pid.localValue).toBe(0);
    expect(p.insns[pid.insn].off).toBe(0);
    expect(hex(p)).not.toBe(hex(withT.programs[0]));
  });

  test('a field missing from the target poisons the instruction as libbpf does', () => {
    // The target without task_struct.pid (renamed): BPF_CORE_READ(task, pid) can't be satisfied.
    const types = min.types.map((t) => (t.kind === 4 && t.name === 'task_struct'
      ? { ...t, members: t.members.map((m) => (m.name === 'pid' ? { ...m, name: 'pid_renamed' } : m)) } : t));
    const target: Btf = { types, strings: min.strings, str: (o) => min.str(o) };
    const o = loadObject(readObject('core_task.bpf.o'), { file: 'x', targetBtf: target, kconfig: FIXED_KCONFIG });
    const p = o.programs[0];
    const pid = p.coreRelos.filter((r) => r.spec.startsWith('struct task_struct.pid '));
    expect(pid.length).toBeGreaterThan(0);
    for (const r of pid) {
      if (r.kind === CoreReloKind.FIELD_BYTE_OFFSET || r.kind === CoreReloKind.FIELD_BYTE_SIZE || r.kind === CoreReloKind.FIELD_SIGNED) {
        expect(r.resolved).toEqual({ found: false, value: 0, targetTypeId: 0, poisoned: true });
        expect([p.insns[r.insn].code, p.insns[r.insn].imm]).toEqual([0x85, CORE_POISON_IMM]);
      }
    }
  });

  test('two candidates that disagree are an ambiguity error', () => {
    // Duplicate task_struct with pid moved: libbpf refuses ("field offset ambiguity").
    const task = min.types.find((t) => t.kind === 4 && t.name === 'task_struct') as Extract<BtfType, { kind: 4 | 5 }>;
    const dup = { ...task, id: min.types.length, name: 'task_struct___v2', members: task.members.map((m) => (m.name === 'pid' ? { ...m, bitOffset: m.bitOffset + 64 } : m)) };
    const target: Btf = { types: [...min.types, dup], strings: min.strings, str: (o) => min.str(o) };
    let err: unknown;
    try {
      loadObject(readObject('core_task.bpf.o'), { file: 'core_task.bpf.o', targetBtf: target, kconfig: FIXED_KCONFIG });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LoaderError);
    expect((err as LoaderError).code).toBe('CORE_FAILED');
    expect((err as LoaderError).message).toMatch(/^core_task\.bpf\.o: offset \d+: sec 'kprobe\/wake_up_new_task': CO-RE relo #0: field offset ambiguity: \d+ != \d+$/);
  });
});

const live = hostBtf();
(live ? test : test.skip).each(corpusObjects())('%s: min target and live vmlinux give identical code', (f) => {
  const a = loadObject(readObject(f), { file: f, targetBtf: min, kconfig: FIXED_KCONFIG });
  const b = loadObject(readObject(f), { file: f, targetBtf: live!, kconfig: FIXED_KCONFIG });
  // Target type ids differ between the two BTFs by construction: compare those by the type they name.
  const norm = (o: typeof a, btf: Btf) => o.programs.map((p) => {
    const ids = new Set(p.coreRelos.filter((r) => r.kind === CoreReloKind.TYPE_ID_TARGET).map((r) => r.insn));
    return {
      insns: hex({ insns: p.insns.map((x, i) => (ids.has(i) ? x.with({ imm: 0 }) : x)) }),
      values: p.coreRelos.map((r) => (r.kind === CoreReloKind.TYPE_ID_TARGET ? btf.types[r.resolved!.value].name : r.resolved?.value)),
    };
  });
  expect(norm(a, min)).toEqual(norm(b, live!));
});
