/**
 * The scheduler seen by tracing tools: sched_switch (tp_btf and the tracepoint record), sched_wakeup
 * and sched_wakeup_new fired by processes that fork, sleep in wait4, exit and wake their parent; and
 * a perf_event profiler sampling the CPUs on virtual time, whose per-task counts must equal what the
 * switch timeline says each CPU ran at each sample instant.
 */
import { Kernel, parseObject, vmlinuxBtf, type TaskStruct } from '../../src';
import { buildTool, clang, ringRecords } from './fire-kit';

interface Ev { ts: bigint; kind: number; cpu: number; prev: number; next: number; state: bigint; preempt: number; target: number; comm: string }

function decode(b: Uint8Array): Ev {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const comm = Buffer.from(b.subarray(48, 64));
  return {
    ts: dv.getBigUint64(0, true), kind: dv.getUint32(8, true), cpu: dv.getUint32(12, true), prev: dv.getUint32(16, true),
    next: dv.getUint32(20, true), state: dv.getBigUint64(24, true), preempt: dv.getUint32(32, true), target: dv.getUint32(36, true),
    comm: comm.subarray(0, comm.indexOf(0) < 0 ? 16 : comm.indexOf(0)).toString(),
  };
}

function setup(cpus: number) {
  const k = new Kernel({ seed: 'sched', cpus, btf: vmlinuxBtf() });
  void k.world;
  const parsed = parseObject(buildTool('sched_trace'), 'sched_trace.bpf.o', k);
  const obj = k.loadObject(parsed, { file: 'sched_trace.bpf.o' });
  for (const p of parsed.programs) if (p.section !== 'perf_event') obj.program(p.name).attach(p.section);
  return { k, obj };
}

/** A shell that runs commands one after another and waits for each; time passes between steps. */
function workload(k: Kernel, rounds: number): { sh: TaskStruct; kids: TaskStruct[] } {
  const init = k.world.init;
  const sh = k.syscall(init, 'fork').child!;
  k.syscall(sh, 'execve', ['/bin/sh', ['sh'], []]);
  const kids: TaskStruct[] = [];
  for (let i = 0; i < rounds; i++) {
    const c = k.syscall(sh, 'fork').child!;
    kids.push(c);
    k.clock.advance(300_000n);
    expect(k.syscall(sh, 'wait4', [-1, 0, 0, 0]).blocked).toBe(true);
    k.syscall(c, 'execve', ['/bin/true', ['true'], []]);
    for (let j = 0; j < 3; j++) {
      k.syscall(c, 'getpid');
      k.clock.advance(700_000n);
    }
    k.syscall(c, 'exit_group', [0]);
    k.clock.advance(1_100_000n);
    k.syscall(sh, 'getppid');
  }
  return { sh, kids };
}

(clang ? describe : describe.skip)('scheduler events', () => {
  test('switches chain per CPU, come as tp_btf and record alike, and report the kernel states', () => {
    for (const cpus of [1, 2, 3]) {
      const { k, obj } = setup(cpus);
      const { sh, kids } = workload(k, 4);
      const evs = ringRecords({ k, obj }).map(decode);
      const btf = evs.filter((e) => e.kind === 1);
      const rec = evs.filter((e) => e.kind === 2);
      expect(btf.length).toBeGreaterThan(0);
      expect(rec.map((e) => [e.cpu, e.prev, e.next])).toEqual(btf.map((e) => [e.cpu, e.prev, e.next]));
      // per CPU: each switch starts from what the previous one switched to (the idle task, pid 0, at first)
      for (let c = 0; c < cpus; c++) {
        let on = 0;
        for (const e of btf.filter((x) => x.cpu === c)) {
          expect(e.prev).toBe(on);
          expect(e.next).not.toBe(e.prev);
          on = e.next;
        }
      }
      // wait4 sleeps: sh leaves its CPU interruptible (1); a child's last switch is TASK_DEAD (0x80 raw, Z in the record)
      const shOut = btf.filter((e) => e.prev === sh.pid && e.preempt === 0);
      expect(shOut.map((e) => e.state)).toEqual(kids.map(() => 1n));
      for (const c of kids) {
        const i = btf.findIndex((e) => e.prev === c.pid && e.state === 0x80n);
        expect(i).toBeGreaterThanOrEqual(0);
        expect(rec[i].state).toBe(0x20n); // EXIT_ZOMBIE, as __trace_sched_switch_state reports it
      }
      for (const e of btf.filter((x) => x.preempt)) expect(rec[btf.indexOf(e)].state).toBe(0x100n); // TASK_REPORT_MAX
      // every child exit wakes the waiting shell; every fork reports the child
      expect(evs.filter((e) => e.kind === 3 && e.next === sh.pid).length).toBe(kids.length);
      expect(evs.filter((e) => e.kind === 4).map((e) => e.next)).toEqual(expect.arrayContaining(kids.map((c) => c.pid)));
    }
  });

  test('perf_event sampling: per-task sample counts equal what the switch timeline ran at each instant', () => {
    for (const cpus of [1, 2]) {
      const { k, obj } = setup(cpus);
      const prog = obj.program('do_sample');
      const periodNs = 250_000n; // 4 kHz
      const t0 = k.clock.monotonicNs;
      const fds = Array.from({ length: cpus }, (_, cpu) => k.bpf.perfSamplerOpen({ cpu, freq: 4000 }));
      for (const fd of fds) expect(k.bpf.perfEventSetBpf(fd, prog.fd)).toBe(0);
      workload(k, 3);
      const t1 = k.clock.monotonicNs;
      for (const fd of fds) k.bpf.close(fd);
      const evs = ringRecords({ k, obj }).map(decode).filter((e) => e.kind === 1);
      // what each CPU ran at time T: the last switch on it at or before T
      const runningAt = (cpu: number, T: bigint): number => {
        let on = 0;
        for (const e of evs) if (e.cpu === cpu && e.ts <= T) on = e.next;
        return on;
      };
      const want = new Map<string, number>();
      const m = obj.map('samples');
      let total = 0;
      for (const [key, value] of m.entries()) {
        const dv = new DataView(key.buffer, key.byteOffset);
        const id = `${dv.getUint32(0, true)}@${dv.getUint32(12, true)}`;
        want.set(id, (want.get(id) ?? 0) + Number(new DataView(value.buffer, value.byteOffset).getBigUint64(0, true)));
      }
      for (const v of want.values()) total += v;
      // samples fire every period from the open; their program runs add a little time, so count on the timeline
      const expected = new Map<string, number>();
      let n = 0;
      for (let T = t0 + periodNs; T <= t1 && n < 100_000; T += periodNs, n++) {
        for (let c = 0; c < cpus; c++) {
          const id = `${runningAt(c, T)}@${c}`;
          expected.set(id, (expected.get(id) ?? 0) + 1);
        }
      }
      expect(total).toBeGreaterThan(10);
      const diff = [...new Set([...want.keys(), ...expected.keys()])].reduce((d, id) => d + Math.abs((want.get(id) ?? 0) - (expected.get(id) ?? 0)), 0);
      // program costs shift later samples by a few ns: allow a sample or two at the edges of switches
      expect(diff).toBeLessThanOrEqual(2 * cpus);
      expect(Math.abs(total - n * cpus)).toBeLessThanOrEqual(cpus);
    }
  });

  test('sampler attributes: EINVAL for bad cpu, freq and period together or neither; EEXIST for a second program', () => {
    const { k, obj } = setup(2);
    expect(k.bpf.perfSamplerOpen({ cpu: 2, freq: 99 })).toBe(-22);
    expect(k.bpf.perfSamplerOpen({ cpu: 0 })).toBe(-22);
    expect(k.bpf.perfSamplerOpen({ cpu: 0, freq: 99, period: 1000n })).toBe(-22);
    expect(k.bpf.perfSamplerOpen({ cpu: 0, freq: 200_000 })).toBe(-22);
    const fd = k.bpf.perfSamplerOpen({ cpu: 0, period: 1_000_000n });
    expect(fd).toBeGreaterThan(0);
    expect(k.bpf.perfEventSetBpf(fd, obj.program('do_sample').fd)).toBe(0);
    expect(k.bpf.perfEventSetBpf(fd, obj.program('do_sample').fd)).toBe(-17);
    expect(k.bpf.perfEventSetBpf(fd, obj.program('on_switch_tp').fd)).toBe(-17);
    const fd2 = k.bpf.perfSamplerOpen({ cpu: 1, period: 1_000_000n });
    expect(k.bpf.perfEventSetBpf(fd2, obj.program('on_switch_tp').fd)).toBe(-22);
  });

  test('nanosleep leaves the CPU for the sleep: switch out (state 1), samples see what runs instead, wakeup, switch in', () => {
    const { k, obj } = setup(1);
    const sh = k.syscall(k.world.init, 'fork').child!;
    k.syscall(sh, 'getpid');
    const fd = k.bpf.perfSamplerOpen({ cpu: 0, period: 1_000_000n });
    expect(k.bpf.perfEventSetBpf(fd, obj.program('do_sample').fd)).toBe(0);
    const ts = new Uint8Array(16);
    new DataView(ts.buffer).setBigUint64(8, 10_000_000n, true); // 10 ms
    expect(k.syscall(sh, 'nanosleep', [ts, 0]).ret).toBe(0);
    const evs = ringRecords({ k, obj }).map(decode);
    const out = evs.findIndex((e) => e.kind === 1 && e.prev === sh.pid && e.state === 1n);
    expect(out).toBeGreaterThanOrEqual(0);
    const during = evs[out].next; // what the CPU runs while sh sleeps (the task sh had preempted, or idle)
    // a switch fires the tracepoint program (kind 2) before the tp_btf one (kind 1)
    expect(evs.slice(out - 1).map((e) => [e.kind, e.next])).toEqual([[2, during], [1, during], [3, sh.pid], [2, sh.pid], [1, sh.pid]]);
    expect(evs[out + 2].ts - evs[out].ts).toBeGreaterThanOrEqual(10_000_000n);
    const byPid = new Map<number, number>();
    for (const [key, value] of obj.map('samples').entries()) {
      const pid = new DataView(key.buffer, key.byteOffset).getUint32(0, true);
      byPid.set(pid, (byPid.get(pid) ?? 0) + Number(new DataView(value.buffer, value.byteOffset).getBigUint64(0, true)));
    }
    expect(byPid.get(during)).toBe(10);
    expect(byPid.get(sh.pid) ?? 0).toBe(0);
  });

  test('the same seed and workload give the same switch trace', () => {
    const a = setup(2);
    workload(a.k, 2);
    const b = setup(2);
    workload(b.k, 2);
    expect(ringRecords(b).map(decode)).toEqual(ringRecords(a).map(decode));
  });
});
