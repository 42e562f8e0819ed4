/**
 * The fidelity measure: every committed strace recording (tools/record-strace) replayed through
 * the simulated kernel, from the world the log itself implies; each recorded result is compared
 * with the model's. The per-workload and overall match percentages are printed and held to the
 * committed floors below: lowering fidelity fails the test (raise the floors as the model improves).
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseStraceLog, replayStraceLog, summarize, type ReplayReport } from '../../src/import/strace';

const DIR = path.join(__dirname, '..', 'fixtures', 'strace');
const names = fs.readdirSync(DIR).filter((f) => f.endsWith('.log')).map((f) => f.slice(0, -4)).sort();

/** Overall match percentage reached (matched / all recorded calls, unsupported ones counted as not matched). */
const OVERALL_FLOOR = 97.8;
/** Per workload: the matched calls reached; a workload may not fall below its figure. */
const FLOORS: Record<string, number> = {
  cat: 50,
  chmod: 38,
  cp: 94,
  dd: 53,
  find: 105,
  head: 41,
  'ln-s': 38,
  'ls-la': 126,
  'mkdir-p': 73,
  'mnt-tmpfs': 381,
  mv: 85,
  'python-exec': 286,
  'python-files': 262,
  'python-fork-pipe': 247,
  'python-signal': 245,
  'python-thread': 260,
  readlink: 38,
  rm: 44,
  'rm-r': 70,
  'sh-background-wait': 151,
  'sh-pipeline': 298,
  'sh-redirect': 244,
  'sh-subshell-exit': 57,
  'signal-interrupt-wait': 158,
  'signal-kill': 58,
  'signal-restart-read': 253,
  'signal-sigkill': 108,
  'signal-stop-cont': 192,
  'signal-timeout-kill': 86,
  'signal-trap': 54,
  stat: 108,
  tail: 45,
  'tcp-loopback': 484,
  touch: 41,
  'udp-loopback': 467,
  'unshare-pid-mnt-uts': 315,
  'uts-hostname': 217,
  wc: 43,
};

const reports = new Map<string, ReplayReport>();
function report(name: string): ReplayReport {
  if (!reports.has(name)) {
    const meta = JSON.parse(fs.readFileSync(path.join(DIR, `${name}.json`), 'utf8')) as { cwd: string };
    const log = parseStraceLog(fs.readFileSync(path.join(DIR, `${name}.log`), 'utf8'), `${name}.log`);
    reports.set(name, replayStraceLog(log, { cwd: meta.cwd }));
  }
  return reports.get(name)!;
}

const pct = (a: number, b: number): string => (b ? ((100 * a) / b).toFixed(1) : '100.0');

describe('replaying the recorded strace logs through the simulated kernel', () => {
  test('at least 25 workloads are committed', () => {
    expect(names.length).toBeGreaterThanOrEqual(25);
  });

  test.each(names)('%s: replays at or above its floor, every mismatch naming its line', (name) => {
    const r = report(name);
    for (const c of r.calls) if (c.verdict !== 'match') expect(c.reason).toMatch(new RegExp(`^${name}\\.log:${c.line}: ${c.syscall}: .+`));
    expect(r.matched).toBeGreaterThanOrEqual(FLOORS[name] ?? 0);
  });

  test('overall fidelity is at or above the committed floor', () => {
    const all = names.map(report);
    const s = summarize(all);
    const lines = all.map((r) => `${r.file.padEnd(28)} ${pct(r.matched, r.calls.length).padStart(6)}%  ${r.matched}/${r.calls.length} (${r.mismatched} mismatched, ${r.unsupported} unsupported)`);
    const causes = new Map<string, number>();
    for (const r of all) for (const c of r.calls) if (c.verdict !== 'match') {
      const key = `${c.verdict} ${c.syscall}: ${(c.reason ?? '').replace(/^[^:]+:\d+: [^:]+: /, '').replace(/0x[0-9a-f]+|\d+/g, 'N').slice(0, 90)}`;
      causes.set(key, (causes.get(key) ?? 0) + 1);
    }
    const top = [...causes].sort((a, b) => b[1] - a[1]).slice(0, 40).map(([k, n]) => `${String(n).padStart(5)}  ${k}`);
    // eslint-disable-next-line no-console
    console.log(`${lines.join('\n')}\noverall ${pct(s.matched, s.total)}%: ${s.matched}/${s.total} matched, ${s.mismatched} mismatched, ${s.unsupported} unsupported\n${top.join('\n')}`);
    const dump = process.env.STRACE_REPLAY_DUMP;
    // eslint-disable-next-line no-console
    if (dump) console.log(all.filter((r) => dump === 'all' || r.file.startsWith(dump)).flatMap((r) => r.calls.filter((c) => c.verdict !== 'match').map((c) => `${r.file}:${c.line} ${c.syscall} ${c.verdict} ${c.reason ?? ''}`)).join('\n'));
    expect((100 * s.matched) / s.total).toBeGreaterThanOrEqual(OVERALL_FLOOR);
  });
});
