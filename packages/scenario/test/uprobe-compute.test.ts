/**
 * The scenario events for user code: an executable's declared `symbols` and `call` events fire
 * uprobes/uretprobes (a bashreadline-like tool reads the returned line from the process's memory),
 * and `compute` runs a task on a CPU for a while, throttled by its cgroup's cpu.max.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadScenarioFile, replayLoaded } from '../src';
import { buildTool, clang } from '../../kernel/test/trace/fire-kit';

function scenario(yaml: string, objects: string[] = []): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-ucall-'));
  for (const o of objects) fs.writeFileSync(path.join(dir, `${o}.bpf.o`), buildTool(o));
  const f = path.join(dir, 's.yaml');
  fs.writeFileSync(f, yaml);
  return f;
}

(clang ? describe : describe.skip)('user functions and computation in scenarios', () => {
  test('bashreadline: a uretprobe on a declared readline reads each returned line; an undeclared function is a clear error', () => {
    const f = scenario(`bpfsim: 2
files:
  - exec: /bin/bash
    symbols: [main, readline]
processes:
  - { pid: 100, ppid: 1, comm: bash, exe: /bin/bash }
programs:
  - { name: printret, object: bashreadline.bpf.o, program: printret, attach: "uretprobe//bin/bash:readline" }
events:
  - call: { pid: 100, binary: /bin/bash, function: readline, args: ["$ "], ret: "ls -la" }
  - call: { pid: 100, binary: /bin/bash, function: readline, args: ["$ "], ret: "cat /etc/hostname" }
expect:
  - ringbuf: { map: events, count: 2 }
`, ['bashreadline']);
    const r = replayLoaded(loadScenarioFile(f));
    expect(r.passed).toBe(true);
    const recs = r.world.kernel.trace.of('ringbuf').map((x) => Buffer.from(x.data, 'hex'));
    expect(recs.map((b) => b.subarray(20, 20 + b.subarray(20).indexOf(0)).toString())).toEqual(['ls -la', 'cat /etc/hostname']);
    const bad = scenario(`bpfsim: 2
files:
  - exec: /bin/bash
    symbols: [main]
processes:
  - { pid: 100, ppid: 1, comm: bash, exe: /bin/bash }
events:
  - call: { pid: 100, binary: /bin/bash, function: readline }
`);
    expect(() => replayLoaded(loadScenarioFile(bad))).toThrow(/events\[0\].*no function 'readline'/s);
  });

  test('compute: a task in a cgroup with cpu.max 50ms/100ms takes twice as long for 200ms of work', () => {
    const f = scenario(`bpfsim: 2
files:
  - exec: /bin/work
processes:
  - { pid: 100, ppid: 1, comm: work, exe: /bin/work, cgroup: /box }
  - { pid: 101, ppid: 1, comm: free, exe: /bin/work }
events:
  - write_file: { path: /sys/fs/cgroup/cgroup.subtree_control, content: "+cpu" }
  - write_file: { path: /sys/fs/cgroup/box/cpu.max, content: "50000 100000" }
  - compute: { pid: 100, time: 200ms }
  - compute: { pid: 101, time: 200ms }
expect:
  - file: { path: /sys/fs/cgroup/box/cpu.stat, content: { regex: "nr_throttled [1-9]" } }
`);
    const r = replayLoaded(loadScenarioFile(f));
    expect(r.expectations.filter((e) => !e.pass)).toEqual([]);
    expect(r.passed).toBe(true);
    const took = r.trace.filter((t) => (t.outcome as { kind?: string }).kind === 'compute').map((t) => BigInt((t.outcome as { took: string }).took));
    expect(took[1]).toBe(200_000_000n);
    // 200 ms at 50 ms per 100 ms period: three full periods and the last 50 ms (the period began
    // with the cpu.max write, a microsecond earlier)
    expect(took[0] > 349_000_000n && took[0] <= 350_000_000n).toBe(true);
  });

  test('a task that exited neither computes nor calls: one clear error naming the event', () => {
    for (const ev of ['compute: { pid: 100, time: 1ms }', 'call: { pid: 100, binary: /bin/w, function: f }']) {
      const f = scenario(`bpfsim: 2
files:
  - { exec: /bin/w, symbols: [f] }
processes:
  - { pid: 100, ppid: 1, comm: w, exe: /bin/w }
events:
  - exit: { pid: 100, code: 0 }
  - ${ev}
`);
      expect(() => replayLoaded(loadScenarioFile(f))).toThrow(/events\[1\].*has exited/s);
    }
  });
});
