import '../src/setup';
import { bpfsim } from '../src';
import { failureOf, corpusFile, scenarioFile } from './paths';

/** A syscalls:sys_enter_kill record: 8-byte common header, __syscall_nr, pid, sig (as the scenario builds it). */
function killRecord(pid: number, sig: number): Uint8Array {
  const b = Buffer.alloc(32);
  b.writeInt32LE(62, 8);
  b.writeBigInt64LE(BigInt(pid), 16);
  b.writeBigInt64LE(BigInt(sig), 24);
  return new Uint8Array(b);
}

describe('toHavePrintedLine', () => {
  test('bpf_printk lines of a kprobe, for the run and for the kernel', () => {
    const k = bpfsim.kernel({ seed: 1 });
    const obj = k.load(corpusFile('hello.bpf.o'), { programs: ['hello_execve'] });
    const run = obj.run('hello_execve', { ctx: new Uint8Array(168) });
    expect(run).toHavePrintedLine('Hello, execve from pid');
    expect(run).toHavePrintedLine(/^Hello, execve from pid \d+$/);
    expect(k).toHavePrintedLine('Hello, execve');
    expect(obj).toHavePrintedLine('Hello, execve');
    expect(run).not.toHavePrintedLine('Goodbye');
    expect(k.printed().map((l) => l.text)).toEqual([expect.stringMatching(/^Hello, execve from pid \d+$/)]);
  });

  test('a missing line lists the lines that were printed', () => {
    const k = bpfsim.kernel({ seed: 1 });
    const obj = k.load(corpusFile('hello.bpf.o'), { programs: ['hello_execve'] });
    const run = obj.run('hello_execve', { ctx: new Uint8Array(168) });
    const msg = failureOf(() => expect(run).toHavePrintedLine('Goodbye'));
    expect(msg).toMatch(/no trace_pipe line of the run of hello_execve matches "Goodbye"; 1 line:\n +\S+-\d+ \[\d{3}\] bpf_trace_printk: Hello, execve from pid \d+/);
    const quiet = bpfsim.kernel({ seed: 1 });
    expect(failureOf(() => expect(quiet).toHavePrintedLine('x'))).toMatch(/the kernel printed nothing to trace_pipe/);
  });
});

describe('toHaveEmitted', () => {
  const load = () => {
    const k = bpfsim.kernel({ seed: 1, cpus: 2 });
    const obj = k.load(scenarioFile('ringbuf-events', 'ringbuf_events.bpf.o'));
    return { k, obj };
  };

  test('ring buffer records decoded through BTF (the only struct of their size), with asymmetric matchers', () => {
    const { k, obj } = load();
    const first = obj.program('on_kill').run({ ctx: killRecord(1234, 15), cpu: 0 });
    obj.program('on_kill').run({ ctx: killRecord(5678, 9), cpu: 1 });
    obj.program('on_kill').run({ ctx: killRecord(0, 9), cpu: 1 }); // discarded: never seen
    expect(first).toHaveEmitted({ target: 1234, sig: 15, nr: 62, cpu: 0 });
    expect(first).not.toHaveEmitted({ target: 5678, sig: 9, nr: 62, cpu: 1 });
    expect(k).toHaveEmitted({ target: 5678, sig: 9, nr: 62, cpu: 1 });
    expect(obj.map('events')).toHaveEmitted(expect.objectContaining({ target: 5678 }));
    expect(k).toHaveEmitted(expect.objectContaining({ sig: 9 }), { type: 'struct kill_event', map: 'events' });
    expect(k).not.toHaveEmitted(expect.objectContaining({ target: 0 }));
    // raw bytes: s32 1234, u32 15, u32 62, u32 0
    expect(k).toHaveEmitted('d2 04 00 00 0f 00 00 00 3e 00 00 00 00 00 00 00');
  });

  test('no match: the records decoded, and the difference to the nearest one', () => {
    const { k, obj } = load();
    obj.program('on_kill').run({ ctx: killRecord(1234, 15), cpu: 0 });
    const msg = failureOf(() => expect(k).toHaveEmitted({ target: 1234, sig: 9, nr: 62, cpu: 0 }));
    expect(msg).toMatch(/no record of the kernel matches .*; 1 record:\n +ringbuf events cpu 0: \{"target":1234,"sig":15,"nr":62,"cpu":0\}/);
    expect(msg).toMatch(/difference to the nearest record:[^]*- +"sig": 9,\n\+ +"sig": 15,/);
    expect(failureOf(() => expect(bpfsim.kernel()).toHaveEmitted({}))).toMatch(/emitted no ring buffer or perf event records/);
    expect(failureOf(() => expect(k).toHaveEmitted({}, { type: 'struct nope' }))).toMatch(/no BTF type struct nope to decode them with/);
    expect(failureOf(() => expect(k).toHaveEmitted({}, { map: 'evnts' }))).toMatch(/no map named "evnts" \(maps: events, counters, \.bss\)/);
  });

  test('perf event records, once user space opened the perf buffer; raw bytes where the BTF has no type', () => {
    const k = bpfsim.kernel({ seed: 1, cpus: 2 });
    const obj = k.load(corpusFile('perfbuf.bpf.o'));
    obj.map('events').openPerfBuffer();
    const run = obj.program('perf_exec').run({ ctx: new Uint8Array(64), cpu: 1 });
    // struct exec_event is a local variable, so clang leaves it out of the BTF: compare bytes.
    // pid 0, ppid 0, ts = bpf_ktime_get_ns() (1 s of virtual time at boot), comm of the current task
    const comm = Buffer.alloc(16);
    comm.write(k.kernel.current.comm);
    const want = Buffer.concat([Buffer.alloc(8), Buffer.from('00ca9a3b00000000', 'hex'), comm]);
    expect(run).toHaveEmitted(new Uint8Array(want));
    expect(obj.map('events')).toHaveEmitted(want.toString('hex'));
    const msg = failureOf(() => expect(run).toHaveEmitted({ pid: 0 }));
    expect(msg).toMatch(/perf_event events cpu 1: 0{16}00ca9a3b/);
    expect(msg).toMatch(/no struct of their size in the object's BTF/);
  });
});
