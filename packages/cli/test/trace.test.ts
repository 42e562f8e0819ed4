/**
 * `bpfsim trace`: our classic tools (scenarios/tools/*) run unmodified on strace logs recorded on
 * this machine, and what their user space receives is checked against what each log shows —
 * the exec'd files and arguments, the opened paths and their results, the exit codes, the signals
 * sent — derived from the log here, never written by hand.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { Errno } from '@bpfsim/uapi';
import { parseStraceLog, type StraceCall, type StraceEvent, type StraceExit, type StraceValue } from '@bpfsim/scenario';
import { cli } from './helpers';

const LOGS = path.resolve(__dirname, '../../scenario/test/fixtures/strace');
const TOOLS = path.resolve(__dirname, '../../../scenarios/tools');
const SIGNALS: Record<string, number> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGUSR1: 10, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGCHLD: 17, SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20,
};

interface Line { time: number; cpu: number; source: string; record: Record<string, unknown> }

async function trace(tool: string, log: string, ...extra: string[]): Promise<{ lines: Line[]; maps: Record<string, unknown>; lost: Record<string, number>; err: string }> {
  const r = await cli('trace', `${TOOLS}/${tool}/${tool}.bpf.o`, '--activity', `${LOGS}/${log}.log`, '--json', ...extra);
  if (r.code !== 0) throw new Error(`bpfsim trace ${tool} ${log}: exit ${r.code}: ${r.err}`);
  const all = r.out.trim().split('\n').map((l) => JSON.parse(l));
  const last = all.pop() as { maps: Record<string, unknown>; lost: Record<string, number> };
  return { lines: all as Line[], maps: last.maps, lost: last.lost, err: r.err };
}

function events(log: string): StraceEvent[] {
  return parseStraceLog(fs.readFileSync(`${LOGS}/${log}.log`, 'utf8'), `${log}.log`).events;
}
const calls = (log: string, names: string[]): StraceCall[] => events(log).filter((e): e is StraceCall => e.kind === 'syscall' && names.includes(e.name));
const str = (v: StraceValue | undefined): string => (v?.kind === 'str' ? v.value : '');
/** What the call returned, as the kernel returns it (-errno for a failure). */
const retOf = (c: StraceCall): number => (c.result?.errno ? -(Errno as Record<string, number>)[c.result.errno] : Number(c.result?.value));
const latin1 = (s: string): string => Buffer.from(s, 'latin1').toString('utf8');
/** Threads (CLONE_THREAD children) of a log: their exits are not processes'. */
function threads(log: string): Set<number> {
  const out = new Set<number>();
  for (const c of calls(log, ['clone', 'clone3'])) {
    const flags = JSON.stringify(c.args, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
    if (flags.includes('CLONE_THREAD') && c.result?.value !== undefined) out.add(Number(c.result.value));
  }
  return out;
}
/** Parent of each process a log forks. */
function parents(log: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const c of calls(log, ['clone', 'clone3', 'fork', 'vfork'])) if (c.result?.value !== undefined && c.result.value > 0n) out.set(Number(c.result.value), c.pid);
  return out;
}

const byPid = <T extends { pid: number }>(a: T[]): T[] => [...a].sort((x, y) => x.pid - y.pid);

describe('bpfsim trace: execsnoop', () => {
  test.each(['python-exec', 'sh-pipeline', 'sh-redirect', 'signal-stop-cont', 'uts-hostname'])('every execve of %s, with its argv and result', async (log) => {
    // Records are sent cut to the arguments they hold: their size names no struct, so the type is given.
    const { lines, maps } = await trace('execsnoop', log, '--record-type', 'event');
    const execs = calls(log, ['execve']).filter((c) => c.result);
    const par = parents(log);
    const want = execs.map((c) => {
      const argv = c.args[1]?.value.kind === 'array' ? c.args[1].value.items.map(str) : [];
      const items = [str(c.args[0]?.value), ...argv.slice(1)];
      const kept = items.slice(0, 16).map((a) => latin1(Buffer.from(a, 'latin1').subarray(0, 127).toString('latin1')));
      const ret = retOf(c);
      return {
        pid: c.pid, retval: ret, args: kept.join('\0'), args_count: items.length > 16 ? 17 : items.length,
        ...(ret === 0 ? { comm: path.basename(str(c.args[0]?.value)).slice(0, 15) } : {}),
        ...(par.has(c.pid) ? { ppid: par.get(c.pid) } : {}),
      };
    });
    const got = lines.filter((l) => l.source === 'perf:events').map((l) => l.record as Record<string, unknown>);
    expect(got.length).toBe(want.length);
    expect(byPid(got.map((r, i) => ({ ...r, i })) as never[]).map((r: Record<string, unknown>) => ({
      pid: r.pid, retval: r.retval, args: r.args, args_count: r.args_count,
      ...('comm' in (want.find((w) => w.pid === r.pid && w.retval === r.retval) ?? {}) ? { comm: r.comm } : {}),
      ...(par.has(r.pid as number) ? { ppid: r.ppid } : {}),
    }))).toEqual(byPid(want));
    expect(got.every((r) => r.uid === 0)).toBe(true);
    expect(maps.execs).toEqual([]);
  });

  test('--set targ_ppid keeps only the children of one process; ignore_failed drops failed execs', async () => {
    const log = 'sh-pipeline';
    const par = parents(log);
    const sh = calls(log, ['execve'])[0].pid;
    const kids = [...par].filter(([, p]) => p === sh).map(([c]) => c);
    const { lines } = await trace('execsnoop', log, '--record-type', 'event', '--set', `targ_ppid=${sh}`);
    const pids = lines.map((l) => l.record.pid as number);
    expect(pids.length).toBeGreaterThan(0);
    expect(pids.every((p) => kids.includes(p))).toBe(true);
    const failed = calls(log, ['execve']).filter((c) => c.result && retOf(c) < 0).length;
    const all = (await trace('execsnoop', log, '--record-type', 'event')).lines.length;
    const ok = (await trace('execsnoop', log, '--record-type', 'event', '--set', 'ignore_failed=true')).lines;
    expect(ok.length).toBe(all - failed);
    expect(ok.every((l) => l.record.retval === 0)).toBe(true);
  });
});

describe('bpfsim trace: a scenario as the activity', () => {
  test('execsnoop on scenarios/tools/execsnoop/execsnoop.yaml: one record per exec of the scenario', async () => {
    const yamlFile = `${TOOLS}/execsnoop/execsnoop.yaml`;
    const r = await cli('trace', `${TOOLS}/execsnoop/execsnoop.bpf.o`, '--record-type', 'event', '--activity', yamlFile, '--json');
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l));
    lines.pop();
    // What the scenario execs: `exec` events, and execve syscalls with their expected errno.
    type Ev = { exec?: { pid: number; path: string; argv: string[] }; syscall?: { pid: number; call: string; args: unknown[]; expect?: { errno?: string } } };
    const evs = (parseYaml(fs.readFileSync(yamlFile, 'utf8')) as { events: Ev[] }).events;
    const want = evs.flatMap((e) => {
      if (e.exec) return [{ pid: e.exec.pid, items: [e.exec.path, ...e.exec.argv.slice(1)], retval: 0 }];
      if (e.syscall?.call === 'execve') {
        const [file, argv] = e.syscall.args as [string, string[]];
        return [{ pid: e.syscall.pid, items: [file, ...argv.slice(1)], retval: e.syscall.expect?.errno ? -(Errno as Record<string, number>)[e.syscall.expect.errno] : 0 }];
      }
      return [];
    });
    expect(lines.map((l) => ({ pid: l.record.pid, args: l.record.args, retval: l.record.retval, args_count: l.record.args_count }))).toEqual(
      want.map((w) => ({ pid: w.pid, args: w.items.slice(0, 16).join('\0'), retval: w.retval, args_count: w.items.length > 16 ? 17 : w.items.length })));
  });
});

describe('bpfsim trace: opensnoop', () => {
  test.each(['cat', 'ls-la', 'cp', 'python-files', 'sh-redirect', 'mkdir-p'])('every open/openat of %s: path, flags, result', async (log) => {
    const { lines } = await trace('opensnoop', log);
    const opens = calls(log, ['open', 'openat']).filter((c) => c.result);
    const want = opens.map((c) => {
      const at = c.name === 'openat' ? 1 : 0;
      return { tid: c.pid, fname: latin1(str(c.args[at]?.value)).slice(0, 255), ret: retOf(c) };
    });
    const got = lines.filter((l) => l.source === 'ringbuf:events').map((l) => ({ tid: l.record.tid, fname: l.record.fname, ret: l.record.ret }));
    expect(got).toEqual(want);
    // The time of each record is the kernel clock when the call returned: never decreasing.
    const times = lines.map((l) => l.time);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  test('targ_failed and targ_pid filters', async () => {
    const log = 'python-files';
    const failed = calls(log, ['open', 'openat']).filter((c) => c.result && retOf(c) < 0);
    const { lines } = await trace('opensnoop', log, '--set', 'targ_failed=true');
    expect(lines.map((l) => [l.record.fname, l.record.ret])).toEqual(failed.map((c) => [latin1(str(c.args[c.name === 'openat' ? 1 : 0]?.value)), retOf(c)]));
    const none = await trace('opensnoop', log, '--set', 'targ_pid=1');
    expect(none.lines).toEqual([]);
  });
});

describe('bpfsim trace: exitsnoop', () => {
  test.each(['sh-pipeline', 'signal-sigkill', 'signal-timeout-kill', 'sh-subshell-exit', 'python-thread'])('every process exit of %s: code or signal', async (log) => {
    const { lines, maps } = await trace('exitsnoop', log);
    const th = threads(log);
    const exits = events(log).filter((e): e is StraceExit => e.kind === 'exit' && !th.has(e.pid));
    const want = exits.map((e) => ({ pid: e.pid, exit_code: e.code ?? 0, sig: e.signal ? SIGNALS[e.signal] : 0 }));
    const got = lines.map((l) => ({ pid: l.record.pid, exit_code: l.record.exit_code, sig: l.record.sig }));
    expect(byPid(got as never[])).toEqual(byPid(want));
    for (const l of lines) expect(l.record.exit_time as number).toBeGreaterThanOrEqual(l.record.start_time as number);
    // The outcomes histogram counts the same exits.
    const hist: Record<number, number> = {};
    for (const w of want) hist[w.sig ? 128 + w.sig : w.exit_code] = (hist[w.sig ? 128 + w.sig : w.exit_code] ?? 0) + 1;
    expect(Object.fromEntries((maps.outcomes as { key: number; value: number }[]).map((e) => [e.key, e.value]))).toEqual(hist);
  });
});

describe('bpfsim trace: killsnoop', () => {
  test.each(['signal-kill', 'signal-stop-cont', 'python-signal', 'signal-interrupt-wait', 'signal-timeout-kill'])('every kill of %s: sender, target, signal, result', async (log) => {
    const { lines } = await trace('killsnoop', log);
    // A call that never returned (the sender killed itself) has no exit: the tool reports nothing for it.
    const kills = calls(log, ['kill', 'tkill', 'tgkill']).filter((c) => c.result?.value !== undefined || c.result?.errno);
    const want = kills.map((c) => {
      const a = c.name === 'tgkill' ? 1 : 0;
      const sig = c.args[a + 1]?.value;
      return { pid: c.pid, tpid: Number(c.args[a]?.value.kind === 'num' ? c.args[a].value.value : NaN), sig: sig?.kind === 'ident' ? SIGNALS[sig.name] : Number((sig as { value: bigint }).value), ret: retOf(c) };
    });
    expect(lines.map((l) => ({ pid: l.record.pid, tpid: l.record.tpid, sig: l.record.sig, ret: l.record.ret }))).toEqual(want);
    expect(lines.every((l) => l.source === 'perf:events')).toBe(true);
  });
});

describe('bpfsim trace: trace_pipe through a kprobe', () => {
  test('one line per open of the log, as Linux formats it, from the process that opened', async () => {
    const log = 'cat';
    const r = await cli('trace', path.resolve(__dirname, '../../../scenarios/kprobe-openat/kprobe_openat.bpf.o'), '--activity', `${LOGS}/${log}.log`, '--json');
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as Line);
    const pipe = lines.filter((l) => l.source === 'trace_pipe');
    // do_sys_openat2 is on the path of open, openat and openat2.
    const opens = calls(log, ['open', 'openat', 'openat2']).filter((c) => c.result);
    expect(pipe.length).toBe(opens.length);
    pipe.forEach((l, i) => {
      const c = opens[i];
      const rec = l.record as { line: string; pid: number; comm: string; msg: string };
      const us = Math.round(l.time / 1000);
      const ts = `${String(Math.floor(us / 1e6)).padStart(5)}.${String(us % 1e6).padStart(6, '0')}`;
      expect(rec.line).toBe(`${'cat'.padStart(16)}-${String(c.pid).padEnd(7)} [${String(l.cpu).padStart(3, '0')}] ...21 ${ts}: bpf_trace_printk: ${rec.msg}`);
      const dfd = c.name === 'open' ? -100 : c.args[0]?.value.kind === 'ident' && c.args[0].value.name === 'AT_FDCWD' ? -100 : Number((c.args[0]?.value as { value: bigint }).value);
      expect(rec.msg).toBe(`openat2 dfd=${dfd} pid=${c.pid}`);
    });
  });
});

const clang = ['clang-19', 'clang'].find((c) => spawnSync(c, ['--version']).status === 0);

/** A one-program object of SEC(`section`), built with clang for the attach refusals. */
function objectWith(section: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-trace-'));
  const src = path.join(dir, 'p.bpf.c');
  fs.writeFileSync(src, `#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\nchar LICENSE[] SEC("license") = "GPL";\nSEC("${section}") int prog(void *ctx) { return 0; }\n`);
  const out = path.join(dir, 'p.bpf.o');
  const r = spawnSync(clang!, ['-O2', '-g', '-target', 'bpf', '-idirafter', '/usr/include/x86_64-linux-gnu', '-c', src, '-o', out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return out;
}

(clang ? describe : describe.skip)('bpfsim trace: sections it cannot attach', () => {
  test.each([
    // an strace log declares no user functions: libbpf's answer for a binary it cannot resolve
    ['uprobe//bin/bash:readline', /attach SEC\("uprobe\/\/bin\/bash:readline"\).*no user image declared at that path\): ENOENT/],
    ['usdt//bin/bash:bash:start', /SEC\("usdt\/\/bin\/bash:bash:start"\) is not modelled yet by bpfsim trace/],
    ['tracepoint/syscalls/sys_enter_nosuch', /Linux 6.18 has no tracepoint syscalls:sys_enter_nosuch/],
    ['kprobe/no_such_function_anywhere', /program prog: attach SEC\("kprobe\/no_such_function_anywhere"\)/],
    ['socket', /SEC\("socket"\) has no auto-attach/],
  ])('%s', async (section, msg) => {
    const obj = objectWith(section);
    try {
      const r = await cli('trace', obj, '--activity', `${LOGS}/cat.log`);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(msg);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    } finally {
      fs.rmSync(path.dirname(obj), { recursive: true, force: true });
    }
  });
});

(clang ? describe : describe.skip)('bpfsim trace: a reader that falls behind', () => {
  test('--perf-pages 1 and a slow --poll-interval: lost-sample records, and every sample accounted for', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-trace-'));
    try {
      // One 64-byte perf sample per syscall (raw_syscalls:sys_enter), and a count of them all.
      fs.writeFileSync(path.join(dir, 'every.bpf.c'), `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
struct { __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY); __uint(key_size, 4); __uint(value_size, 4); } events SEC(".maps");
struct sample { __u64 seq; __u64 pad[7]; };
struct sample *unused_sample __attribute__((unused));
__u64 fired, refused;
SEC("raw_tp/sys_enter") int every(void *ctx) {
  struct sample s = {};
  s.seq = ++fired;
  if (bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &s, sizeof(s)) == -28) refused++;
  return 0;
}`);
      const obj = path.join(dir, 'every.bpf.o');
      const b = spawnSync(clang!, ['-O2', '-g', '-target', 'bpf', '-idirafter', '/usr/include/x86_64-linux-gnu', '-c', path.join(dir, 'every.bpf.c'), '-o', obj], { encoding: 'utf8' });
      expect(b.stderr).toBe('');
      const r = await cli('trace', obj, '--activity', `${LOGS}/python-files.log`, '--perf-pages', '1', '--poll-interval', '5000000', '--record-type', 'sample', '--json');
      expect(r.code).toBe(0);
      const all = r.out.trim().split('\n').map((l) => JSON.parse(l));
      const last = all.pop() as { maps: { '.bss': { fired: number; refused: number } }; lost: Record<string, number> };
      const { fired, refused } = last.maps['.bss'];
      const samples = all.filter((l) => 'seq' in l.record);
      const lost = all.filter((l) => 'lost' in l.record);
      expect(refused).toBeGreaterThan(0);
      expect(lost.length).toBeGreaterThan(0);
      // Everything made is either delivered or refused (and counted lost), nothing twice.
      expect(samples.length + refused).toBe(fired);
      expect(new Set(samples.map((l) => l.record.seq)).size).toBe(samples.length);
      expect(last.lost['perf:events']).toBe(refused);
      // A lost record is handed over before the next sample of its CPU, never after the last one.
      const reported = lost.reduce((n, l) => n + l.record.lost, 0);
      expect(reported).toBeLessThanOrEqual(refused);
      for (const l of lost) {
        const i = all.indexOf(l);
        expect(all[i + 1]).toMatchObject({ source: 'perf:events', cpu: l.cpu });
        expect(all[i + 1].record).toHaveProperty('seq');
      }
      // Samples of one CPU arrive in the order they were made.
      for (const cpu of [0, 1]) {
        const seqs = samples.filter((l) => l.cpu === cpu).map((l) => l.record.seq as number);
        expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('bpfsim trace: errors and output forms', () => {
  const obj = `${TOOLS}/opensnoop/opensnoop.bpf.o`;
  test('an unknown --set variable names the ones there are; a bad value names the type', async () => {
    const a = await cli('trace', obj, '--activity', `${LOGS}/cat.log`, '--set', 'targ_pd=3');
    expect(a.code).toBe(2);
    expect(a.err).toMatch(/^bpfsim: --set targ_pd: .*opensnoop.bpf.o has no global variable 'targ_pd' .*\(it has: .*targ_pid, targ_tid, targ_uid, targ_failed/);
    expect(a.err.trim().split('\n')).toHaveLength(1);
    const b = await cli('trace', obj, '--activity', `${LOGS}/cat.log`, '--set', 'targ_pid=-5000000000');
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/targ_pid \(\.rodata\) is a signed 32-bit integer: -5000000000 is out of range/);
    const c = await cli('trace', obj, '--activity', `${LOGS}/cat.log`, '--set', 'targ_failed=maybe');
    expect(c.err).toMatch(/is a bool/);
  });

  test('--record-type names a struct the object has; records of an unknown layout stay hex', async () => {
    const a = await cli('trace', obj, '--activity', `${LOGS}/cat.log`, '--record-type', 'nosuch');
    expect(a.code).toBe(2);
    expect(a.err).toMatch(/--record-type nosuch: .* has no struct nosuch/);
    const { lines } = await trace('opensnoop', 'cat', '--record-type', 'args_t');
    // A 296-byte event read as the 16-byte args_t: its first fields (ts, then pid|tid) as args_t's.
    expect(lines[0].record).toHaveProperty('fname');
    expect(lines[0].record).not.toHaveProperty('comm');
  });

  test('missing activity file and an unattachable section are one-line errors', async () => {
    const a = await cli('trace', obj, '--activity', '/no/such.log');
    expect(a.code).toBe(2);
    expect(a.err.trim().split('\n')).toHaveLength(1);
  });

  test('text output: one readable line per record, then the maps', async () => {
    const r = await cli('trace', `${TOOLS}/exitsnoop/exitsnoop.bpf.o`, '--activity', `${LOGS}/signal-sigkill.log`);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toBe('attached: on_exit (tracepoint/sched/sched_process_exit)');
    expect(lines.filter((l) => / ringbuf:events /.test(l)).every((l) => /^\d+\.\d{9} cpu \d+ ringbuf:events start_time=\d+ exit_time=\d+ pid=\d+ tid=\d+ ppid=\d+ sig=\d+ exit_code=\d+ comm="[^"]*"$/.test(l))).toBe(true);
    expect(lines).toContain('map outcomes: ');
  });

  test('same log, same output, byte for byte', async () => {
    const a = await cli('trace', `${TOOLS}/execsnoop/execsnoop.bpf.o`, '--activity', `${LOGS}/sh-pipeline.log`, '--json');
    const b = await cli('trace', `${TOOLS}/execsnoop/execsnoop.bpf.o`, '--activity', `${LOGS}/sh-pipeline.log`, '--json');
    expect(a.out.length).toBeGreaterThan(100);
    expect(b.out).toBe(a.out);
  });
});
