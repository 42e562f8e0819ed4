/**
 * Schema version 2: files, processes, process and syscall events, map events as bpf() calls of a
 * process, and expectations on tasks and files. Each test drives the simulated kernel through
 * the scenario and checks what the kernel did (results, state, what a program on a syscall saw).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseScenarioText, replay, formatReport, ScenarioError, type ReplayResult } from '@bpfsim/scenario';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-proc-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const repoRoot = path.resolve(__dirname, '../../..');

function load(text: string) {
  const f = path.join(tmp, 's.yaml');
  fs.writeFileSync(f, text);
  return parseScenarioText(text, f, { allowPaths: [repoRoot] });
}
const run = (text: string): Promise<ReplayResult> => replay(load(text));
const failures = (r: ReplayResult) => [...r.trace.flatMap((e) => e.failures), ...r.expectations.filter((x) => !x.pass).map((x) => `${x.what}: ${(x.diff ?? []).join(' ')}`)];
const lines = (r: ReplayResult) => formatReport(r).join('\n');
function error(text: string): string {
  try {
    load(text);
  } catch (e) {
    if (e instanceof ScenarioError) return e.message;
    throw e;
  }
  return 'no error';
}

describe('files and processes', () => {
  const base = `bpfsim: 2
files:
  - { dir: /srv/data, mode: "0750", uid: 1000, gid: 100 }
  - { file: /srv/data/a.txt, content: "hello\\n", mode: 0o600, uid: 1000 }
  - { file: /srv/data/raw.bin, bytes: "de ad be ef" }
  - { symlink: /srv/latest, target: data/a.txt }
  - { exec: /usr/local/bin/tool }
  - { exec: /usr/local/bin/hi, script: "#!/bin/sh\\necho hi\\n" }
processes:
  - { pid: 300, ppid: 1, comm: bash, uid: 1000, gid: 100, cwd: /srv/data }
  - { pid: 310, ppid: 300, exe: /usr/local/bin/tool, argv: [tool, --fast] }
`;

  test('are made by syscalls of init and of the parents, with the given pids, owners, modes and contents', async () => {
    const r = await run(`${base}events:
  - syscall: { pid: 300, call: getcwd, args: [{out: 64}, 64], expect: { text: "/srv/data\\u0000" } }
  - syscall: { pid: 300, call: getuid, expect: { ret: 1000 } }
  - syscall: { pid: 310, call: getppid, expect: { ret: 300 } }
  - read_file: { pid: 300, path: /srv/latest, expect: "hello\\n" }
  - note: the file is 0600 and owned by 1000; another uid is refused
    exec: { pid: 320, ppid: 1, path: /usr/local/bin/hi, argv: [hi] }
  - syscall: { pid: 320, call: setuid, args: [2000] }
  - read_file: { pid: 320, path: /srv/data/a.txt, expect_errno: EACCES }
expect:
  - file: { path: /srv/data/a.txt, content: "hello\\n", mode: "0600", uid: 1000, gid: 0 }
  - file: { path: /srv/data/raw.bin, bytes: "de ad be ef", mode: "0644" }
  - file: { path: /srv/data, mode: "0750", uid: 1000, gid: 100 }
  - file: { path: /usr/local/bin/tool, bytes: { regex: "^7f454c46" }, mode: "0755" }
  - file: { path: /srv/nothing, absent: true }
  - task: { pid: 300, comm: bash, uid: 1000, ppid: 1, pids: [300], state: running }
  - task: { pid: 310, comm: tool, ppid: 300 }
  - note: a #! script runs its interpreter; comm is the script's name
    task: { pid: 320, comm: hi }
`);
    expect(failures(r)).toEqual([]);
    const text = lines(r);
    expect(text).toContain('init[1] fork() = 300');
    expect(text).toContain('bash[300] fork() = 310');
    expect(text).toContain('bash[310] execve("/usr/local/bin/tool", ["tool", "--fast"], []) = 0');
    expect(text).toContain('bash[300] getcwd("/srv/data\\u0000", 64) = 10');
  });

  test('a wrong expectation fails and says what was found', async () => {
    const r = await run(`${base}events:
  - syscall: { pid: 300, call: getuid, expect: { ret: 0 } }
  - syscall: { pid: 300, call: openat, args: [AT_FDCWD, /nope, O_RDONLY], expect: { ret: 3 } }
  - syscall: { pid: 300, call: openat, args: [AT_FDCWD, /srv/data/a.txt, O_RDONLY], expect: { errno: ENOENT } }
expect:
  - file: { path: /srv/data/a.txt, content: "bye" }
  - task: { pid: 310, comm: bash }
  - task: { pid: 999 }
`);
    expect(r.passed).toBe(false);
    expect(lines(r)).toMatch(/FAIL \/.*s\.yaml:\d+:\d+: getuid by bash\[300\] \(events\[0\]\): expected 0, got 1000/);
    expect(failures(r)).toEqual([
      'getuid by bash[300] (events[0]): expected 0, got 1000',
      'openat by bash[300] (events[1]): expected 3, got -1 ENOENT',
      'openat by bash[300] (events[2]): expected ENOENT, got success (0)',
      'file /srv/data/a.txt: content: - expected: "bye" + actual:   "hello\\n"',
      'task 310 ("bash"): comm: - expected: "bash" + actual:   "tool"',
      'task 999: - expected: a task with that pid + actual:   none',
    ]);
  });

  test('bad set-up is refused with its place', async () => {
    await expect(run('bpfsim: 2\nprocesses:\n  - { pid: 300, ppid: 77 }\n')).rejects.toThrow(/s\.yaml:3:\d+: processes\[0\]\.ppid: no process with pid 77/);
    await expect(run('bpfsim: 2\nprocesses:\n  - { pid: 1 }\n')).rejects.toThrow(/processes\[0\]\.pid: pid 1 is in use/);
    await expect(run('bpfsim: 2\nprocesses:\n  - { pid: 300, exe: /etc/hostname }\n')).rejects.toThrow(/processes\[0\]\.exe: execve \/etc\/hostname by task 300 \(init\) failed: EACCES/);
    await expect(run('bpfsim: 2\nfiles:\n  - { exec: /x, script: "echo" }\n')).rejects.toThrow(/files\[0\]\.script: a script starts with "#!"/);
    expect(error('bpfsim: 2\nfiles:\n  - { file: /etc/x, mode: "0999" }\n')).toMatch(/s\.yaml:3:\d+: files\[0\]\.mode: expected a mode/);
    expect(error('bpfsim: 2\nprocesses:\n  - { pid: 300, ns: [pid, bogus] }\n')).toMatch(/processes\[0\]\.ns\[1\]: expected one of "pid"/);
  });
});

describe('syscall events', () => {
  test('an unknown constant or syscall is an error naming the event', async () => {
    expect(error('bpfsim: 2\nevents:\n  - syscall: { pid: 1, call: openat, args: [AT_FDCWD, /x, O_RDONLY|O_BOGUS] }\n')).toBe('no error');
    await expect(run('bpfsim: 2\nevents:\n  - syscall: { pid: 1, call: openat, args: [AT_FDCWD, /x, O_RDONLY|O_BOGUS] }\n'))
      .rejects.toThrow(/s\.yaml:3:59: events\[0\]\.syscall\.args\[2\]: unknown constant in 'O_RDONLY\|O_BOGUS'/);
    await expect(run('bpfsim: 2\nevents:\n  - syscall: { pid: 1, call: frobnicate }\n'))
      .rejects.toThrow(/events\[0\]\.syscall: syscall frobnicate: no such x86-64 syscall/);
    await expect(run('bpfsim: 2\nevents:\n  - syscall: { pid: 4242, call: getpid }\n'))
      .rejects.toThrow(/events\[0\]\.syscall\.pid: no process with pid 4242/);
  });

  test('a call that sleeps is logged, and checked when a later event wakes it', async () => {
    const r = await run(`bpfsim: 2
files:
  - { file: /dev/tty1 }
processes:
  - { pid: 100, comm: bash, stdio: /dev/tty1 }
events:
  - syscall: { pid: 100, call: pipe2, args: [{out: 8}, O_CLOEXEC], expect: { out: [[{s32: 3}, {s32: 4}]] } }
  - note: nothing in the pipe yet
    syscall: { pid: 100, call: read, args: [3, {out: 16}, 16], expect: { ret: 5 } }
  - exec: { pid: 101, ppid: 1, path: /bin/cat }
  - note: another process cannot write to 100's pipe; 100 stays asleep
    syscall: { pid: 101, call: write, args: [4, "hello", 5], expect: { errno: EBADF } }
  - kill: { pid: 101, target: 100, signal: SIGKILL }
expect:
  - task: { pid: 100, signal: SIGKILL, state: zombie }
`);
    const text = lines(r);
    expect(text).toContain('bash[100] pipe2([3, 4], O_CLOEXEC) = 0');
    expect(text).toContain('bash[100] read(3, {out 16}, 16) = ? <sleeping>');
    // The read never completed: its check is reported as never returning.
    expect(failures(r)).toEqual(['the checked calls of pid 100 return: - expected: 1 checked call to return + actual:   the process exited while it slept']);
  });

  test('wait sleeps until the child exits; exit codes and signals are checked from the status word', async () => {
    const r = await run(`bpfsim: 2
processes:
  - { pid: 100, comm: bash }
events:
  - exec: { pid: 101, ppid: 100, path: /bin/sleep, argv: [sleep, "10"] }
  - wait: { pid: 100, target: 101, expect: { pid: 101, exit_code: 3 } }
  - exit: { pid: 101, code: 3 }
  - exec: { pid: 102, ppid: 100, path: /bin/sleep }
  - kill: { pid: 100, target: 102, signal: SIGTERM }
  - wait: { pid: 100, expect: { pid: 102, signal: SIGTERM } }
  - wait: { pid: 100, options: [WNOHANG], expect: { errno: ECHILD } }
expect:
  - task: { pid: 101, exit_code: 3, state: reaped }
  - task: { pid: 102, signal: SIGTERM, state: reaped }
  - syscalls: { call: wait4, pid: 100, count: 3 }
`);
    expect(failures(r)).toEqual([]);
    expect(lines(r)).toContain('bash[100] <... wait4 resumed> = 101');
  });
});

describe('namespaces', () => {
  test('unshare, sethostname and setns act on the process and show in expectations', async () => {
    const r = await run(`bpfsim: 2
processes:
  - { pid: 100, comm: bash }
  - { pid: 200, ppid: 1, comm: sh, ns: [uts, mnt], hostname: inner }
events:
  - unshare: { pid: 100, flags: [CLONE_NEWUTS] }
  - syscall: { pid: 100, call: sethostname, args: [other, 5] }
  - exec: { pid: 101, ppid: 1, path: /bin/sh }
  - setns: { pid: 101, target: 200, ns: [uts] }
  - exec: { pid: 102, ppid: 1, path: /bin/sh, uid: 1000 }
  - setns: { pid: 102, target: 200, ns: [uts], expect_errno: EPERM }
  - unshare: { pid: 102, flags: [CLONE_NEWNS], expect_errno: EPERM }
expect:
  - task: { pid: 100, hostname: other }
  - task: { pid: 101, hostname: inner }
  - task: { pid: 102, hostname: bpfsim }
  - task: { pid: 1, hostname: bpfsim }
`);
    expect(failures(r)).toEqual([]);
  });
});

describe('map events are bpf() calls of a process', () => {
  const asm = `bpfsim: 2
programs:
  - { name: count, type: tracepoint, attach: tracepoint/syscalls/sys_enter_bpf, asm: "r0 = 0\\nexit" }
  - name: h
    type: socket_filter
    asm: |
      r0 = 0
      exit
`;

  test('a program on sys_enter_bpf sees each map event; the default process is a root shell', async () => {
    const text = fs.readFileSync(path.join(repoRoot, 'scenarios/xdp-firewall/xdp-firewall.yaml'), 'utf8');
    const r = await run(text.replace('object: xdp_firewall.bpf.o', `object: ${path.join(repoRoot, 'scenarios/xdp-firewall/xdp_firewall.bpf.o')}`)
      .replace(/^programs:\n/m, 'programs:\n  - { name: count, type: tracepoint, attach: tracepoint/syscalls/sys_enter_bpf, asm: "r0 = 0\\nexit" }\n')
      .replace(/^expect:\n/m, 'expect:\n  - runs: { program: count, count: 3 }\n  - syscalls: { call: bpf, count: 3 }\n'));
    expect(failures(r)).toEqual([]);
    const bpfLines = formatReport(r).filter((l) => /bpf\(BPF_MAP/.test(l)).map((l) => l.trim());
    expect(bpfLines.length).toBe(3);
    expect(bpfLines[0]).toMatch(/^bash\[\d+\] bpf\(BPF_MAP_UPDATE_ELEM, \{map_fd=\d+, key=\[16 00\], value=\[01\], flags=BPF_ANY\}, 32\) = 0$/);
    expect(r.trace.filter((e) => e.outcome.kind === 'map_update').every((e) => e.outcome.result === 'ok')).toBe(true);
  });

  test('`pid` names the calling process; errors come back as errnos', async () => {
    const r = await run(`bpfsim: 2
processes:
  - { pid: 100, comm: agent }
programs:
  - name: fw
    object: ${path.join(repoRoot, 'scenarios/xdp-firewall/xdp_firewall.bpf.o')}
events:
  - map_update: { pid: 100, map: blocked_ports, key: {be16: 22}, value: {u8: 1}, flags: noexist }
  - map_update: { pid: 100, map: blocked_ports, key: {be16: 22}, value: {u8: 1}, flags: noexist, expect_errno: EEXIST }
  - map_lookup: { pid: 100, map: blocked_ports, key: {be16: 22}, expect: {u8: 1} }
  - map_delete: { pid: 100, map: blocked_ports, key: {be16: 22} }
  - map_delete: { map: blocked_ports, key: {be16: 22}, expect_errno: ENOENT }
expect:
  - syscalls: { call: bpf, pid: 100, count: 4 }
  - syscalls: { call: bpf, errno: ENOENT, count: 1 }
  - map: { name: blocked_ports, key: {be16: 22}, absent: true }
`);
    expect(failures(r)).toEqual([]);
    expect(lines(r)).toMatch(/agent\[100\] bpf\(BPF_MAP_UPDATE_ELEM, .*flags=BPF_NOEXIST\}, 32\) = -1 EEXIST/);
    void asm;
  });

  test('a version-1 file replays through migrations with its map events as bpf() calls', async () => {
    const r = await run(`bpfsim: 1
programs:
  - name: fw
    object: ${path.join(repoRoot, 'scenarios/xdp-firewall/xdp_firewall.bpf.o')}
events:
  - map_update: { map: blocked_ports, key: {be16: 22}, value: {u8: 1} }
expect:
  - map: { name: blocked_ports, key: {be16: 22}, value: {u8: 1} }
`);
    expect(failures(r)).toEqual([]);
    expect(r.loaded.raw.bpfsim).toBe(2);
    expect(lines(r)).toMatch(/init\[1\] fork\(\) = \d+\n.*execve\("\/bin\/bash"/);
  });
});

test('same scenario, same trace bytes', async () => {
  const text = `bpfsim: 2
processes:
  - { pid: 100, comm: bash }
events:
  - exec: { pid: 101, ppid: 100, path: /bin/ls, argv: [ls] }
  - write_file: { pid: 101, path: /tmp/out, content: "x" }
  - exit: { pid: 101 }
  - wait: { pid: 100 }
`;
  const a = await run(text);
  const b = await run(text);
  expect(failures(a)).toEqual([]);
  expect(Buffer.from(a.traceBytes).equals(Buffer.from(b.traceBytes))).toBe(true);
});

describe('cgroups', () => {
  test('a process moved into a cgroup by its parent; children inherit it; cgroup files read as a read would', async () => {
    const r = await run(`bpfsim: 2
processes:
  - { pid: 100, comm: bash }
  - { pid: 200, ppid: 100, comm: sh, cgroup: /jobs/a }
events:
  - exec: { pid: 201, ppid: 200, path: /bin/sleep }
  - write_file: { pid: 100, path: /sys/fs/cgroup/jobs/cgroup.procs, content: "100" }
expect:
  - task: { pid: 200, cgroup: /jobs/a }
  - task: { pid: 201, cgroup: /jobs/a }
  - task: { pid: 100, cgroup: /jobs }
  - task: { pid: 1, cgroup: / }
  - file: { path: /sys/fs/cgroup/jobs/a/cgroup.procs, content: "200\\n201\\n" }
  - file: { path: /sys/fs/cgroup/jobs/cgroup.procs, content: "100\\n" }
  - task: { pid: 200, cgroup: /jobs }
`);
    expect(failures(r)).toEqual(['task 200: cgroup: - expected: "/jobs" + actual:   "/jobs/a"']);
    expect(lines(r)).toContain('bash[100] write(0, "200\\n", 4) = 4');
  });
});
