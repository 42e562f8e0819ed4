/**
 * `bpfsim trace` with the program kinds that are not fired by an event of the activity: a
 * perf_event profiler (a cpu-clock sampler on every CPU at --sample-freq) and a task iterator (read
 * when the activity ends), on strace logs recorded on this machine. The pids the profile names are
 * the log's own (the replay pins them); the iterator lists the tasks alive at the end.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseStraceLog } from '@bpfsim/scenario';
import { buildTool, clang } from '../../kernel/test/trace/fire-kit';
import { cli } from './helpers';

const LOGS = path.resolve(__dirname, '../../scenario/test/fixtures/strace');

function objectFile(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-trace-'));
  const f = path.join(dir, `${name}.bpf.o`);
  fs.writeFileSync(f, buildTool(name));
  return f;
}

async function traceJson(obj: string, log: string, ...extra: string[]) {
  const r = await cli('trace', obj, '--activity', `${LOGS}/${log}.log`, '--json', ...extra);
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.err}`);
  const all = r.out.trim().split('\n').map((l) => JSON.parse(l));
  const last = all.pop();
  return { lines: all as { source: string; record: Record<string, unknown>; time: string | number }[], maps: last.maps as Record<string, unknown> };
}

(clang ? describe : describe.skip)('bpfsim trace: sampled and iterated programs', () => {
  test('a perf_event profiler: samples per pid over the whole activity, the log\'s pids, at the given frequency', async () => {
    const obj = objectFile('sched_trace');
    const log = 'sh-pipeline';
    const pids = new Set(parseStraceLog(fs.readFileSync(`${LOGS}/${log}.log`, 'utf8'), `${log}.log`).events.map((e) => (e as { pid: number }).pid));
    const counts = async (freq: number) => {
      const r = await traceJson(obj, log, '--prog', 'do_sample', '--sample-freq', String(freq));
      const entries = r.maps.samples as { key: { pid: number; cpu: number }; value: number | string }[];
      const byPid = new Map<number, number>();
      for (const e of entries) byPid.set(e.key.pid, (byPid.get(e.key.pid) ?? 0) + Number(e.value));
      return byPid;
    };
    const low = await counts(1000);
    const high = await counts(4000);
    const total = (m: Map<number, number>) => [...m.values()].reduce((a, b) => a + b, 0);
    expect(total(low)).toBeGreaterThan(0);
    // four times the frequency, about four times the samples (the activity's length is the same)
    expect(Math.abs(total(high) - 4 * total(low))).toBeLessThanOrEqual(8);
    // the log's processes, the idle task, and the ancestors the replay starts them from (lower pids)
    const first = Math.min(...pids);
    expect([...high.keys()].filter((pid) => !(pid < first || pids.has(pid)))).toEqual([]);
    expect([...high.keys()].some((p) => pids.has(p))).toBe(true);
  });

  test('a task iterator is read when the activity ends: one line per task, then its end line', async () => {
    const obj = objectFile('iter_task');
    const r = await traceJson(obj, 'sh-background-wait');
    const it = r.lines.filter((l) => l.source === 'iter:dump_task');
    expect(it).toHaveLength(1);
    const text = String(it[0].record.text);
    const rows = text.split('\n').filter((l) => /^\d/.test(l));
    expect(text.startsWith('PID ')).toBe(true);
    expect(rows.map((l) => Number(l.split(/\s+/)[0]))).toContain(1);
    expect(text).toMatch(new RegExp(`end session=1 seq_num=${rows.length - 1}\\n$`));
  });

  test('bad --sample-freq and a usdt program are one-line errors', async () => {
    const obj = objectFile('sched_trace');
    const r = await cli('trace', obj, '--activity', `${LOGS}/cat.log`, '--sample-freq', '0');
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/--sample-freq/);
  });
});
