import * as fs from 'fs';
import * as path from 'path';
import { parseStraceLog, summarizeStraceLog, strBytes } from '../../src/import/strace';
import type { StraceCall, StraceEvent, StraceLog, StraceValue } from '../../src/import/strace';

// The committed recordings of `npm run record:strace` (tools/record-strace): read, never re-recorded here.
const DIR = path.join(__dirname, '..', 'fixtures', 'strace');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { workloads, BASE } = require('../../../../tools/record-strace/workloads') as {
  workloads: { name: string; argv: string[]; files: Record<string, unknown> }[];
  BASE: string;
};

const logNames = fs.readdirSync(DIR).filter((f) => f.endsWith('.log')).map((f) => f.slice(0, -4)).sort();
const logs = new Map<string, StraceLog>();
const textOf = (name: string) => fs.readFileSync(path.join(DIR, `${name}.log`), 'utf8');
function log(name: string): StraceLog {
  if (!logs.has(name)) logs.set(name, parseStraceLog(textOf(name), `${name}.log`));
  return logs.get(name)!;
}
const calls = (name: string, syscall?: string) =>
  log(name).events.filter((e): e is StraceCall => e.kind === 'syscall' && (!syscall || e.name === syscall));
const str = (v: StraceValue | undefined) => (v && v.kind === 'str' ? v.value : undefined);
const strArray = (v: StraceValue | undefined) => (v && v.kind === 'array' ? v.items.map(str) : undefined);

describe('the recording campaign and its committed fixtures', () => {
  test('the workload list is what is committed: one .log and one .json per workload, nothing else', () => {
    const names = workloads.map((w) => w.name).sort();
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBeGreaterThanOrEqual(25);
    expect(logNames).toEqual(names);
    const jsons = fs.readdirSync(DIR).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
    expect(jsons).toEqual(names);
  });

  test.each(workloads.map((w) => [w.name, w] as const))('%s: its .json describes the recording', (name, w) => {
    const meta = JSON.parse(fs.readFileSync(path.join(DIR, `${name}.json`), 'utf8'));
    expect(meta.name).toBe(name);
    expect(meta.command).toEqual(w.argv);
    expect(meta.cwd).toBe(`${BASE}/${name}`);
    expect(meta.kernel).toMatch(/^Linux version \d+\.\d+/);
    expect(meta.straceVersion).toMatch(/^strace -- version \d+/);
    expect(Number.isNaN(Date.parse(meta.date))).toBe(false);
  });
});

describe('every committed log parses completely', () => {
  test.each(logNames)('%s', (name) => {
    const l = log(name);
    expect(l.errors.map((e) => e.message)).toEqual([]);
    // Independent counts from the raw text: every line is one event, a resumed line joins its call.
    const lines = textOf(name).split('\n').filter((x) => x !== '');
    const rest = lines.map((x) => x.replace(/^\d+ +\d+\.\d+ /, ''));
    const s = summarizeStraceLog(l);
    expect(s.syscalls).toBe(rest.filter((x) => /^[a-z_0-9]+\(/.test(x)).length);
    expect(s.resumedPairs).toBe(rest.filter((x) => x.startsWith('<... ')).length);
    expect(s.signals).toBe(rest.filter((x) => x.startsWith('--- ')).length);
    expect(s.exits).toBe(rest.filter((x) => /^\+\+\+ (exited|killed)/.test(x)).length);
    expect(Object.values(s.bySyscall).reduce((a, b) => a + b, 0)).toBe(s.syscalls);
    expect(l.events.length).toBe(lines.length - s.resumedPairs);
    // Joined calls carry both line numbers; times are relative to the first line and never go back.
    expect(l.events[0].timeNs).toBe(0);
    for (const e of l.events) if (e.kind === 'syscall' && e.resumed) expect(e.resumed.line).toBeGreaterThan(e.line);
    const byLine = [...l.events].sort((a, b) => a.line - b.line);
    for (let i = 1; i < byLine.length; i++) expect(byLine[i].timeNs).toBeGreaterThanOrEqual(byLine[i - 1].timeNs);
  });

  test('counts per syscall name over the campaign', () => {
    const total = new Map<string, number>();
    for (const name of logNames) {
      for (const [k, v] of Object.entries(summarizeStraceLog(log(name)).bySyscall)) total.set(k, (total.get(k) ?? 0) + v);
    }
    const top = [...total.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    // Reported so a reader of the test output sees what the recordings exercise.
    process.stdout.write(`strace fixtures: ${top.length} distinct syscalls; ${top.map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
    for (const s of ['execve', 'openat', 'read', 'write', 'close', 'clone', 'wait4', 'kill', 'unshare', 'sethostname', 'socket', 'connect', 'accept4', 'pipe2', 'mount']) {
      expect(total.get(s) ?? 0).toBeGreaterThan(0);
    }
  });
});

describe('what the logs say agrees with the workloads that made them', () => {
  test.each(workloads.map((w) => [w.name, w] as const))('%s: the first event is the execve of the workload, with its argv', (name, w) => {
    const first = log(name).events[0] as StraceCall;
    expect(first.kind).toBe('syscall');
    expect(first.name).toBe('execve');
    expect(strArray(first.args[1].value)).toEqual(w.argv);
    expect(strArray(first.args[2].value)).toEqual(['PATH=/usr/sbin:/usr/bin:/sbin:/bin', `HOME=${BASE}/${name}`, 'LANG=C', 'LC_ALL=C', 'TERM=dumb']);
    expect(first.result?.value).toBe(0n);
    const exits = log(name).events.filter((e) => e.kind === 'exit' && e.pid === first.pid);
    expect(exits).toHaveLength(1);
  });

  test('every read of a set-up file returns the bytes the workload wrote into it', () => {
    let checked = 0;
    for (const w of workloads) {
      const ev = log(w.name).events;
      for (const [rel, content] of Object.entries(w.files)) {
        if (typeof content !== 'string') continue;
        const names = [rel, `${BASE}/${w.name}/${rel}`];
        ev.forEach((open, i) => {
          if (open.kind !== 'syscall' || open.name !== 'openat' || !names.includes(str(open.args[1].value)!) || open.result?.errno) return;
          const fd = open.result!.value!;
          for (const e of ev.slice(i + 1)) {
            if (e.pid !== open.pid || e.kind !== 'syscall' || e.args[0]?.value.kind !== 'num' || e.args[0].value.value !== fd) continue;
            if (e.name === 'close') break;
            if (e.name !== 'read' || !e.result || e.result.errno) continue;
            const n = Number(e.result.value);
            if (n > 0) {
              expect(str(e.args[1].value)).toBe(content.slice(0, n));
              checked++;
            }
            break;
          }
        });
      }
    }
    expect(checked).toBeGreaterThanOrEqual(8); // cat, head, tail, wc, dd, sh-pipeline, python-files, …
  });

  test('ls-la: the directory entries read are the workload\'s files', () => {
    const names = calls('ls-la', 'getdents64').flatMap((c) => {
      const v = c.args[1].value;
      return v.kind === 'array' ? v.items.map((d) => d.kind === 'struct' && str(d.fields.find((f) => f.name === 'd_name')?.value)) : [];
    });
    expect(names.sort()).toEqual(['.', '..', 'a.txt', 'b.txt', 'sub']);
  });

  test('cat: the file is opened and its bytes read; the missing one fails with ENOENT', () => {
    const opens = calls('cat', 'openat').filter((c) => ['a.txt', 'missing.txt'].includes(str(c.args[1].value)!));
    expect(opens.map((c) => [str(c.args[1].value), c.result?.errno ?? Number(c.result?.value)])).toEqual([['a.txt', 3], ['missing.txt', 'ENOENT']]);
    expect(opens[1].result).toMatchObject({ value: -1n, errno: 'ENOENT', note: 'No such file or directory' });
    const read = calls('cat', 'read').find((c) => str(c.args[1].value) === 'hello, strace\n')!;
    expect(read.result?.value).toBe(14n);
    expect(Buffer.from(strBytes(read.args[1].value as never)).toString()).toBe('hello, strace\n');
    const write = calls('cat', 'write')[0];
    expect(write.args[0].value).toMatchObject({ kind: 'num', value: 1n });
    expect(str(write.args[1].value)).toBe('hello, strace\n');
  });

  test('stat: the struct stat of a.txt has its size and mode as flags', () => {
    const st = calls('stat').find((c) => /statx|fstatat/.test(c.name) && str(c.args[1].value) === 'a.txt' && !c.result?.errno)!;
    const struct = st.args.map((a) => a.value).find((v) => v.kind === 'struct')!;
    const fields = new Map((struct as { fields: { name?: string; value: StraceValue }[] }).fields.map((f) => [f.name, f.value]));
    const size = fields.get('stx_size') ?? fields.get('st_size');
    expect(size).toMatchObject({ kind: 'num', value: 8n }); // "stat me\n"
    const mode = fields.get('stx_mode') ?? fields.get('st_mode');
    expect(mode).toMatchObject({ kind: 'flags', items: [{ kind: 'ident', name: 'S_IFREG' }, { kind: 'num', value: 0o644n, text: '0644' }] });
  });

  test('python-fork-pipe: the child exits with 7 and the parent reads what it wrote', () => {
    const ev = log('python-fork-pipe').events;
    const child = ev.find((e): e is StraceEvent & { kind: 'exit' } => e.kind === 'exit' && e.code === 7)!;
    expect(child).toBeDefined();
    const clone = calls('python-fork-pipe').find((c) => /^clone/.test(c.name) && c.result?.value === BigInt(child.pid));
    expect(clone).toBeDefined();
    const sigchld = ev.find((e) => e.kind === 'signal' && e.signal === 'SIGCHLD')!;
    expect(sigchld.kind === 'signal' && sigchld.info?.find((f) => f.name === 'si_status')?.value).toMatchObject({ kind: 'num', value: 7n });
  });

  test('signal-sigkill: the inner shell is killed by SIGKILL', () => {
    expect(log('signal-sigkill').events.filter((e) => e.kind === 'exit' && e.signal === 'SIGKILL')).toHaveLength(1);
  });

  test('signal-stop-cont: stopped by SIGSTOP, then the interrupted sleep is restarted', () => {
    const ev = log('signal-stop-cont').events;
    expect(ev.some((e) => e.kind === 'signal' && e.stopped && e.signal === 'SIGSTOP')).toBe(true);
    const interrupted = calls('signal-stop-cont').find((c) => c.result?.errno === 'ERESTART_RESTARTBLOCK')!;
    expect(interrupted.result?.value).toBeUndefined();
    const restart = calls('signal-stop-cont', 'restart_syscall')[0];
    expect(restart.pid).toBe(interrupted.pid);
    expect(restart.args[0].value).toEqual({ kind: 'angle', text: `... resuming interrupted ${interrupted.name} ...` });
  });

  test('signal-restart-read: read ends with ERESTARTSYS, the handler runs, the read is made again and gets the data', () => {
    const ev = log('signal-restart-read').events;
    const i = ev.findIndex((e) => e.kind === 'syscall' && e.name === 'read' && e.result?.errno === 'ERESTARTSYS');
    const first = ev[i] as StraceCall;
    expect(first.result).toEqual({ errno: 'ERESTARTSYS', note: 'To be restarted if SA_RESTART is set', text: '? ERESTARTSYS (To be restarted if SA_RESTART is set)' });
    const after = ev.slice(i + 1).filter((e) => e.pid === first.pid);
    expect(after[0]).toMatchObject({ kind: 'signal', signal: 'SIGUSR1' });
    const again = after.find((e): e is StraceCall => e.kind === 'syscall' && e.name === 'read')!;
    expect(again.args[0].value).toEqual(first.args[0].value);
    expect(str(again.args[1].value)).toBe('late');
    expect(again.result?.value).toBe(4n);
  });

  test('unshare-pid-mnt-uts and uts-hostname: the namespaces and the hostnames set', () => {
    const u = calls('unshare-pid-mnt-uts', 'unshare')[0];
    expect(u.args[0].value.kind).toBe('flags');
    const names = (u.args[0].value as { items: { name: string }[] }).items.map((i) => i.name).sort();
    expect(names).toEqual(['CLONE_NEWNS', 'CLONE_NEWPID', 'CLONE_NEWUTS']);
    expect(calls('unshare-pid-mnt-uts', 'sethostname').map((c) => str(c.args[0].value))).toEqual(['ct1']);
    expect(calls('uts-hostname', 'sethostname').map((c) => str(c.args[0].value))).toEqual(['bpfsim-uts']);
  });

  test('tcp-loopback: connect to 127.0.0.1:5555, the server accepts, ping goes one way and PING the other', () => {
    const conn = calls('tcp-loopback', 'connect').find((c) => c.args[1].value.kind === 'struct')!;
    const sa = conn.args[1].value as { fields: { name?: string; value: StraceValue }[] };
    expect(sa.fields.find((f) => f.name === 'sin_port')?.value).toEqual({ kind: 'call', name: 'htons', args: [{ value: { kind: 'num', value: 5555n, text: '5555' } }] });
    expect(conn.result?.value).toBe(0n);
    const acc = calls('tcp-loopback', 'accept4')[0];
    expect(acc.resumed).toBeDefined(); // the server blocked in accept until the child connected
    expect(Number(acc.result?.value)).toBeGreaterThanOrEqual(3);
    const sent = calls('tcp-loopback', 'sendto').map((c) => str(c.args[1].value)).filter((s) => s === 'ping' || s === 'PING');
    expect(sent.sort()).toEqual(['PING', 'ping']);
  });
});
