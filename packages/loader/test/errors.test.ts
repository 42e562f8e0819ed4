/**
 * Bad input of every kind gives a LoaderError with a stable code and a message
 * naming the file, the byte offset and what was expected — never a crash.
 */
import { LoaderError, LoaderErrorCode, loadObject } from '../src';
import { FIXED_KCONFIG, readObject } from './helpers/corpus';
import { ElfEdit } from './helpers/elf-edit';

const FILE = 'bad.bpf.o';

function fail(bytes: Uint8Array, kconfig = FIXED_KCONFIG): LoaderError {
  try {
    loadObject(bytes, { file: FILE, kconfig });
  } catch (e) {
    if (e instanceof LoaderError) return e;
    throw new Error(`not a LoaderError: ${(e as Error)?.stack ?? String(e)}`);
  }
  throw new Error('loaded without error');
}

function expectError(bytes: Uint8Array, code: LoaderErrorCode, offset: number | undefined, message: RegExp): void {
  const e = fail(bytes);
  expect({ code: e.code, offset: e.offset, file: e.file }).toEqual({ code, offset, file: FILE });
  expect(e.message).toMatch(message);
  expect(e.message.startsWith(offset === undefined ? `${FILE}: ` : `${FILE}: offset ${offset}: `)).toBe(true);
}

const xdp = readObject('xdp_drop_icmp.bpf.o');
const maps = readObject('execve_count.bpf.o');

describe('ELF header', () => {
  test('every truncation of a valid object is a LoaderError', () => {
    const codes = new Set<string>();
    for (let n = 0; n < xdp.length; n++) {
      const e = fail(xdp.subarray(0, n));
      codes.add(e.code);
      expect(e.message.startsWith(`${FILE}: `)).toBe(true);
    }
    // The section header table is at the end of the file: every prefix misses it.
    expect([...codes]).toEqual(['ELF_TRUNCATED']);
  });
  test('not ELF', () => expectError(new Uint8Array(100), 'ELF_BAD_MAGIC', 0, /expected the ELF magic/));
  test('ELFCLASS32', () => expectError(new ElfEdit(xdp).set(4, 1, 1).bytes, 'ELF_BAD_CLASS', 4, /expected ELFCLASS64 \(2\), found 1/));
  test('big-endian', () => expectError(new ElfEdit(xdp).set(5, 1, 2).bytes, 'ELF_BAD_ENDIAN', 5, /expected ELFDATA2LSB \(1, little-endian\), found 2/));
  test('x86-64 machine', () => expectError(new ElfEdit(xdp).set(18, 2, 62).bytes, 'ELF_BAD_MACHINE', 18, /expected e_machine EM_BPF \(247\), found 62/));
  test('no sections', () => expectError(new ElfEdit(xdp).set(60, 2, 0).bytes, 'ELF_BAD_HEADER', 60, /expected at least one section/));
  test('section header size', () => expectError(new ElfEdit(xdp).set(58, 2, 40).bytes, 'ELF_BAD_HEADER', 58, /expected e_shentsize 64, found 40/));
  test('e_shstrndx out of range', () => expectError(new ElfEdit(xdp).set(62, 2, 999).bytes, 'ELF_BAD_HEADER', 62, /e_shstrndx 999 is not a section index/));
  test('section header table past the end', () => {
    expectError(new ElfEdit(xdp).set(40, 8, xdp.length - 10).bytes, 'ELF_TRUNCATED', xdp.length - 10, /section headers at e_shoff/);
  });
  test('e_shoff beyond 2^53', () => expectError(new ElfEdit(xdp).set(40, 8, 1n << 60n).bytes, 'ELF_BAD_OFFSET', 40, /e_shoff \d+ is not a usable size or offset/));
});

describe('sections', () => {
  test('offset outside the file', () => {
    const ed = new ElfEdit(xdp);
    const i = ed.sectionIndex('xdp');
    ed.setShdr(i, 'offset', xdp.length + 100);
    expectError(ed.bytes, 'ELF_BAD_OFFSET', ed.shdrField(i, 'offset'), new RegExp(`section ${i}: expected its \\d+ bytes at offset ${xdp.length + 100} to lie inside the file`));
  });
  test('size running past the end', () => {
    const ed = new ElfEdit(xdp);
    const i = ed.sectionIndex('xdp');
    ed.setShdr(i, 'size', xdp.length);
    expectError(ed.bytes, 'ELF_BAD_OFFSET', ed.shdrField(i, 'offset'), /to lie inside the file/);
  });
  test('overlapping sections', () => {
    const ed = new ElfEdit(xdp);
    const lic = ed.section('license');
    const code = ed.section('xdp');
    ed.setShdr(lic.index, 'offset', code.offset + 8);
    expectError(ed.bytes, 'ELF_OVERLAP', code.offset + 8, new RegExp(`section ${lic.index} \\[\\d+, \\d+\\) overlaps section ${code.index}`));
  });
  test('a section overlapping the ELF header', () => {
    const ed = new ElfEdit(xdp);
    const lic = ed.section('license');
    ed.setShdr(lic.index, 'offset', 16);
    expectError(ed.bytes, 'ELF_OVERLAP', 16, /overlaps the ELF header/);
  });
  test('section name outside the string table', () => {
    const ed = new ElfEdit(xdp);
    const i = ed.sectionIndex('xdp');
    ed.setShdr(i, 'name', 0xfffff);
    const e = fail(ed.bytes);
    expect(e.code).toBe('ELF_BAD_STRING');
    expect(e.message).toMatch(/name of section \d+: string offset 1048575 is outside the string table/);
  });
  test('code size not a multiple of 8', () => {
    const ed = new ElfEdit(xdp);
    const s = ed.section('xdp');
    ed.setShdr(s.index, 'size', s.size - 4);
    expectError(ed.bytes, 'PROG_INVALID', s.offset, /size \d+ is not a multiple of 8/);
  });
  test('unknown SEC() name', () => {
    const ed = new ElfEdit(xdp).renameSection('xdp', 'xdq');
    const s = ed.section('xdq');
    expectError(ed.bytes, 'SEC_UNKNOWN', s.offset, /prog 'xdp_drop_icmp': unrecognised SEC\("xdq"\)/);
  });
  test('version section of the wrong size', () => {
    const obj = readObject('proprietary.bpf.o');
    const ed = new ElfEdit(obj);
    const s = ed.section('version');
    ed.setShdr(s.index, 'size', 2);
    expectError(ed.bytes, 'ELF_BAD_HEADER', s.offset, /section version: expected 4 bytes, found 2/);
  });
});

describe('symbols', () => {
  test('section index out of range', () => {
    const ed = new ElfEdit(xdp);
    const at = ed.symbolOffset('xdp_drop_icmp') + 6;
    ed.set(at, 2, 900);
    expectError(ed.bytes, 'ELF_BAD_SYMBOL', at, /st_shndx 900 is not a section index/);
  });
  test('static program function', () => {
    const ed = new ElfEdit(xdp);
    ed.setSym('xdp_drop_icmp', 'info', (0 << 4) | 2); // STB_LOCAL, STT_FUNC
    const e = fail(ed.bytes);
    expect(e.code).toBe('PROG_INVALID');
    expect(e.message).toMatch(/program 'xdp_drop_icmp' is static and not supported/);
  });
  test('function running past its section', () => {
    const ed = new ElfEdit(xdp);
    ed.setSym('xdp_drop_icmp', 'size', 1 << 20);
    expect(fail(ed.bytes).message).toMatch(/function 'xdp_drop_icmp' \[0, 1048576\) is not a whole number of instructions inside the section/);
  });
});

describe('relocations', () => {
  test('unknown relocation type', () => {
    const ed = new ElfEdit(maps);
    const at = ed.relOffset('tracepoint/syscalls/sys_enter_execve') + 8;
    ed.set(at, 4, 99);
    expectError(ed.bytes, 'ELF_BAD_RELOC', at, /relocation 0 has unknown type 99; expected R_BPF_64_64/);
  });
  test('symbol index out of range', () => {
    const ed = new ElfEdit(maps);
    const at = ed.relOffset('tracepoint/syscalls/sys_enter_execve') + 12;
    ed.set(at, 4, 5000);
    expectError(ed.bytes, 'ELF_BAD_RELOC', at, /names symbol 5000, expected < \d+/);
  });
  test('offset outside the section', () => {
    const ed = new ElfEdit(maps);
    const at = ed.relOffset('tracepoint/syscalls/sys_enter_execve');
    ed.set(at, 8, 1 << 20);
    expectError(ed.bytes, 'ELF_BAD_RELOC', at, /at offset 1048576 is outside tracepoint\/syscalls\/sys_enter_execve/);
  });
  test('offset not on an instruction boundary', () => {
    const ed = new ElfEdit(maps);
    const at = ed.relOffset('tracepoint/syscalls/sys_enter_execve');
    const off = Number(new DataView(ed.bytes.buffer).getBigUint64(at, true));
    ed.set(at, 8, off + 4);
    expectError(ed.bytes, 'ELF_BAD_RELOC', at, /expected an offset that is a multiple of 8/);
  });
  test('relocation on an instruction that is neither call nor ld_imm64', () => {
    const ed = new ElfEdit(maps);
    const at = ed.relOffset('tracepoint/syscalls/sys_enter_execve');
    ed.set(at, 8, 0); // slot 0 of the program is a helper call / mov, not a lddw
    expectError(ed.bytes, 'ELF_BAD_RELOC', at, /expected a call or ld_imm64 instruction, found opcode 0x/);
  });
  test('ld_imm64 relocated against a symbol that is neither map, data nor code', () => {
    const ed = new ElfEdit(maps);
    const at = ed.relOffset('tracepoint/syscalls/sys_enter_execve');
    const license = (ed.symbolOffset('LICENSE') - ed.symbolOffset('execs_by_uid')) / 24;
    const mapSym = new DataView(ed.bytes.buffer).getUint32(at + 12, true);
    ed.set(at + 12, 4, mapSym + license);
    expectError(ed.bytes, 'ELF_BAD_RELOC', at, /symbol 'LICENSE' is in section license, which is not a map, global data or code section/);
  });
});

describe('BTF', () => {
  test('bad magic', () => {
    const ed = new ElfEdit(xdp);
    const s = ed.section('.BTF');
    ed.set(s.offset, 2, 0x1234);
    expectError(ed.bytes, 'BTF_INVALID', s.offset, /\.BTF: expected magic 0xeb9f, found 0x1234/);
  });
  test('unknown kind', () => {
    const ed = new ElfEdit(xdp);
    const s = ed.section('.BTF');
    const dv = new DataView(ed.bytes.buffer);
    const first = s.offset + dv.getUint32(s.offset + 4, true) + dv.getUint32(s.offset + 8, true);
    ed.set(first + 4, 4, 25 << 24);
    expectError(ed.bytes, 'BTF_INVALID', first + 4, /type 1 has unknown kind 25; expected 1\.\.19/);
  });
  test('type reference out of range', () => {
    const ed = new ElfEdit(xdp);
    const s = ed.section('.BTF');
    const dv = new DataView(ed.bytes.buffer);
    const first = s.offset + dv.getUint32(s.offset + 4, true) + dv.getUint32(s.offset + 8, true);
    ed.set(first + 4, 4, 2 << 24).set(first + 8, 4, 0xfffff); // PTR to type 1048575
    expect(fail(ed.bytes).message).toMatch(/\.BTF: type 1 \(anon\): type refers to type 1048575, expected < \d+/);
  });
  test('string section past the end', () => {
    const ed = new ElfEdit(xdp);
    const s = ed.section('.BTF');
    ed.set(s.offset + 20, 4, 0xffffff);
    expectError(ed.bytes, 'BTF_INVALID', s.offset + 16, /string section \[\d+, \d+\) runs past the blob end/);
  });
  test('BTF.ext record size', () => {
    const ed = new ElfEdit(xdp);
    const s = ed.section('.BTF.ext');
    const dv = new DataView(ed.bytes.buffer);
    const hdr = dv.getUint32(s.offset + 4, true);
    const fi = s.offset + hdr + dv.getUint32(s.offset + 8, true);
    ed.set(fi, 4, 3);
    expectError(ed.bytes, 'BTF_EXT_INVALID', fi, /func_info: record size 3, expected a multiple of 4 >= 8/);
  });
});

describe('kconfig', () => {
  const obj = readObject('kconfig.bpf.o');
  test('a strong extern without a value', () => {
    const { CONFIG_BPF_SYSCALL: _drop, ...rest } = FIXED_KCONFIG;
    const e = fail(obj, rest);
    expect(e.code).toBe('KCONFIG_MISSING');
    expect(e.message).toBe(`${FILE}: extern (kcfg) 'CONFIG_BPF_SYSCALL': value not found (strong extern needs the simulated kernel to provide it)`);
  });
  test('weak externs stay zero; values are laid out as libbpf does', () => {
    const o = loadObject(obj, { file: FILE, kconfig: FIXED_KCONFIG });
    const m = o.maps.find((x) => x.source === 'kconfig')!;
    const ext = Object.fromEntries(o.kconfigExterns.map((e) => [e.name, e]));
    // sorted by alignment (desc), size (asc), name
    expect(o.kconfigExterns.map((e) => [e.name, e.offset, e.size])).toEqual([
      ['CONFIG_HZ', 0, 4], ['LINUX_KERNEL_VERSION', 4, 4], ['CONFIG_BPFSIM_NOT_A_REAL_OPTION', 8, 1], ['CONFIG_BPF_SYSCALL', 9, 1],
    ]);
    const dv = new DataView(m.initialValue!.buffer);
    expect(dv.getInt32(ext.CONFIG_HZ.offset, true)).toBe(1000);
    expect(dv.getUint32(ext.LINUX_KERNEL_VERSION.offset, true)).toBe(0x061200);
    expect(m.initialValue![ext.CONFIG_BPF_SYSCALL.offset]).toBe(1);
    expect(m.initialValue![ext.CONFIG_BPFSIM_NOT_A_REAL_OPTION.offset]).toBe(0);
    expect(ext.CONFIG_BPFSIM_NOT_A_REAL_OPTION.value).toBeUndefined();
  });
  test('a value of the wrong type', () => {
    const e = fail(obj, { ...FIXED_KCONFIG, CONFIG_HZ: 'y' });
    expect(e.message).toMatch(/extern \(kcfg\) 'CONFIG_HZ': expected a number, got y/);
  });
});
