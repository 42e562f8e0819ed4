/**
 * signal:signal_generate and signal:signal_deliver as a sigsnoop-like tool sees them: kill of a
 * process (default action: generated, delivered, the process dies), of an ignored signal (result
 * IGNORED), a handled signal twice (DELIVERED, then ALREADY_PENDING), the SIGCHLD an exit sends.
 */
import { Kernel, parseObject, vmlinuxBtf } from '../../src';
import { buildTool, clang, cstring, ringRecords, spawn } from './fire-kit';

const SIGTERM = 15, SIGUSR1 = 10, SIGCHLD = 17, SIGWINCH = 28;

function decode(b: Uint8Array) {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return {
    kind: dv.getUint32(0, true), sender: dv.getUint32(4, true), target: dv.getUint32(8, true), sig: dv.getInt32(12, true),
    result: dv.getInt32(16, true), group: dv.getUint32(20, true), comm: cstring(b.subarray(24, 40)),
  };
}

(clang ? describe : describe.skip)('signal tracepoints', () => {
  test('kill: generated (record and tp_btf agree), delivered, default action; ignored; already pending; SIGCHLD', () => {
    const k = new Kernel({ seed: 'sig', cpus: 2, btf: vmlinuxBtf() });
    void k.world;
    const parsed = parseObject(buildTool('sigsnoop'), 'sigsnoop.bpf.o', k);
    const obj = k.loadObject(parsed, { file: 'sigsnoop.bpf.o' });
    for (const p of parsed.programs) obj.program(p.name).attach(p.section);
    const sh = spawn(k, k.world.init, '/bin/sh', ['sh']).child;
    const victim = spawn(k, sh, '/bin/sleep', ['sleep']).child;
    const handler = spawn(k, sh, '/bin/cat', ['cat']).child;
    // cat handles SIGUSR1 (a handler address) and blocks it, so a second one finds it pending
    const act = new Uint8Array(32);
    new DataView(act.buffer).setBigUint64(0, 0x401000n, true);
    expect(k.syscall(handler, 'rt_sigaction', [SIGUSR1, act, 0, 8]).ret).toBe(0);
    const mask = new Uint8Array(8);
    new DataView(mask.buffer).setBigUint64(0, 1n << BigInt(SIGUSR1 - 1), true);
    expect(k.syscall(handler, 'rt_sigprocmask', [0, mask, 0, 8]).ret).toBe(0);
    ringRecords({ k, obj });

    expect(k.syscall(sh, 'kill', [handler.tgid, SIGWINCH]).ret).toBe(0); // default action: ignore
    expect(k.syscall(sh, 'kill', [handler.tgid, SIGUSR1]).ret).toBe(0);
    expect(k.syscall(sh, 'kill', [handler.tgid, SIGUSR1]).ret).toBe(0);
    expect(k.syscall(sh, 'kill', [victim.tgid, SIGTERM]).ret).toBe(0);
    const evs = ringRecords({ k, obj }).map(decode);
    const rec = evs.filter((e) => e.kind === 1);
    const btf = evs.filter((e) => e.kind === 2);
    expect(btf.map((e) => [e.target, e.sig, e.result, e.group])).toEqual(rec.map((e) => [e.target, e.sig, e.result, e.group]));
    expect(rec.map((e) => [e.sender, e.target, e.sig, e.result])).toEqual([
      [sh.tgid, handler.tgid, SIGWINCH, 1],
      [sh.tgid, handler.tgid, SIGUSR1, 0],
      [sh.tgid, handler.tgid, SIGUSR1, 2],
      [sh.tgid, victim.tgid, SIGTERM, 0],
      // the victim's death notifies its parent: SIGCHLD to sh, whose default disposition ignores it
      // (sig_task_ignored: SIG_DFL and sig_kernel_ignore), so the result is TRACE_SIGNAL_IGNORED
      [victim.tgid, sh.tgid, SIGCHLD, 1],
    ]);
    expect(rec.every((e) => e.group === 1)).toBe(true);
    expect(rec[3].comm).toBe('sleep');
    // SIGTERM acted by default in the victim's context: delivered there
    const deliver = evs.filter((e) => e.kind === 3);
    expect(deliver.map((e) => [e.sender, e.sig])).toEqual([[victim.tgid, SIGTERM]]);
    expect(victim.alive).toBe(false);
  });
});
