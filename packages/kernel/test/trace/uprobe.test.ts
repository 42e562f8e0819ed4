/**
 * Uprobes and uretprobes on declared user functions: a bashreadline-like uretprobe reads the line
 * readline returned from the caller's user memory, a uprobe on malloc sums its size argument per
 * process, calloc's two arguments and the probed address reach the program; attaching to an
 * undeclared binary or symbol fails as libbpf does (ENOENT).
 */
import { Errno } from '@bpfsim/uapi';
import { Kernel, parseObject, vmlinuxBtf } from '../../src';
import { callUserFunction, defineUserImage, USER_IMAGE_BASE, UprobeError } from '../../src/trace/uprobe';
import { buildTool, clang, cstring, ringRecords, spawn } from './fire-kit';

const LIBC = '/lib/x86_64-linux-gnu/libc.so.6';

function setup(declare = true) {
  const k = new Kernel({ seed: 'uprobe', cpus: 2, btf: vmlinuxBtf() });
  void k.world;
  if (declare) {
    defineUserImage(k, '/bin/bash', ['main', 'readline', 'execute_command']);
    defineUserImage(k, LIBC, [{ name: 'malloc', offset: 0xa5120 }, { name: 'calloc', offset: 0xa6a40 }, { name: 'free', offset: 0xa5700 }]);
  }
  const parsed = parseObject(buildTool('bashreadline'), 'bashreadline.bpf.o', k);
  const obj = k.loadObject(parsed, { file: 'bashreadline.bpf.o' });
  return { k, obj, parsed };
}

(clang ? describe : describe.skip)('uprobes', () => {
  test('bashreadline: each line readline returns in a bash process is one record; other processes are ignored', () => {
    const { k, obj, parsed } = setup();
    for (const p of parsed.programs) obj.program(p.name).attach(p.section);
    const bash = spawn(k, k.world.init, '/bin/bash', ['bash']).child;
    const sh = spawn(k, k.world.init, '/bin/sh', ['sh']).child;
    const lines = ['ls -la', 'echo "hello world" | wc -c', 'x'.repeat(100)];
    for (const l of lines) expect(callUserFunction(k, bash, '/bin/bash', 'readline', { args: ['$ '], ret: l }).exit).toBe(1);
    callUserFunction(k, sh, '/bin/bash', 'readline', { ret: 'not bash' });
    callUserFunction(k, bash, '/bin/bash', 'readline', { ret: 0 }); // EOF: NULL
    const recs = ringRecords({ k, obj }).map((b) => ({
      pid: new DataView(b.buffer, b.byteOffset).getUint32(0, true), comm: cstring(b.subarray(4, 20)), str: cstring(b.subarray(20)),
    }));
    expect(recs).toEqual(lines.map((l) => ({ pid: bash.tgid, comm: 'bash', str: l.slice(0, 79) })));
  });

  test('malloc sizes summed per process from the first argument register; calloc gets di, si and its address', () => {
    const { k, obj, parsed } = setup();
    for (const p of parsed.programs) obj.program(p.name).attach(p.section);
    const a = spawn(k, k.world.init, '/bin/cat', ['cat']).child;
    const b = spawn(k, k.world.init, '/bin/cat', ['cat']).child;
    const sizes = [16, 4096, 1 << 20, 7];
    for (const s of sizes) callUserFunction(k, a, LIBC, 'malloc', { args: [s], ret: 0x5555_0000 });
    callUserFunction(k, b, LIBC, 'malloc', { args: [100n] });
    callUserFunction(k, b, LIBC, 'free', { args: [0x1234] });
    const m = obj.map('alloc_bytes');
    const key = (pid: number) => Uint8Array.from(Buffer.from(new Uint32Array([pid]).buffer));
    const val = (pid: number) => new DataView((m.lookup(key(pid)) as Uint8Array).buffer).getBigUint64(0, true);
    expect(val(a.tgid)).toBe(BigInt(sizes.reduce((x, y) => x + y, 0)));
    expect(val(b.tgid)).toBe(100n);
    callUserFunction(k, a, LIBC, 'calloc', { args: [12, 34] });
    const seen = obj.map('seen');
    const at = (i: number) => new DataView((seen.lookup(Uint8Array.of(i, 0, 0, 0)) as Uint8Array).buffer).getBigUint64(0, true);
    expect(at(0)).toBe(12n * 34n);
    expect(at(1)).toBe(USER_IMAGE_BASE + 0xa6a40n);
  });

  test('attaching to an undeclared binary or function fails with ENOENT and says why', () => {
    const { obj, parsed } = setup(false);
    const p = parsed.programs.find((x) => x.name === 'printret')!;
    let err: unknown;
    try {
      obj.program(p.name).attach(p.section);
    } catch (e) {
      err = e;
    }
    expect((err as { errno?: number }).errno).toBe(Errno.ENOENT);
    expect(String(err)).toMatch(/no user image declared at that path/);
    const s2 = setup();
    const k2 = s2.k;
    defineUserImage(k2, '/bin/bash', ['main']);
    expect(() => s2.obj.program('printret').attach('uretprobe//bin/bash:readline')).toThrow(/could not find symbol 'readline'.*main/);
  });

  test('bad calls are typed errors: unknown function, kernel thread, too many arguments', () => {
    const { k } = setup();
    const bash = spawn(k, k.world.init, '/bin/bash', ['bash']).child;
    expect(() => callUserFunction(k, bash, '/bin/bash', 'nope')).toThrow(UprobeError);
    expect(() => callUserFunction(k, k.world.kthreadd, '/bin/bash', 'readline')).toThrow(/no user memory/);
    expect(() => callUserFunction(k, bash, '/bin/bash', 'readline', { args: [1, 2, 3, 4, 5, 6, 7] })).toThrow(/at most 6/);
    expect(() => defineUserImage(k, 'bash', ['x'])).toThrow(/absolute path/);
  });
});
