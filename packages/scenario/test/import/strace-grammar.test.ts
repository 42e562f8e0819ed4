import { BpfsimError } from '@bpfsim/uapi';
import { parseStraceLog, StraceParseError } from '../../src/import/strace';
import type { StraceCall, StraceValue } from '../../src/import/strace';

// Each case is a line from a real log (the committed fixtures, or strace 6.1 with the options named).
const T = '1796681571.949233';
const parse = (text: string) => parseStraceLog(text, 'rec.log');
function call(rest: string): StraceCall {
  const l = parse(`6543  ${T} ${rest}\n`);
  expect(l.errors.map((e) => e.message)).toEqual([]);
  expect(l.events).toHaveLength(1);
  expect(l.events[0].kind).toBe('syscall');
  return l.events[0] as StraceCall;
}
const arg = (rest: string, i: number): StraceValue => call(rest).args[i].value;
const num = (value: bigint, text = String(value)) => ({ kind: 'num', value, text });
const id = (name: string) => ({ kind: 'ident', name });
const s = (value: string, truncated = false) => ({ kind: 'str', value, truncated });

describe('strace values', () => {
  test('strings: C escapes (octal, hex, \\n \\t \\" \\\\) decode to bytes; "..." marks truncation', () => {
    expect(arg('read(3, "\\177ELF\\2\\1\\1\\3\\0\\0", 832) = 832', 1)).toEqual(s('\x7fELF\x02\x01\x01\x03\x00\x00'));
    expect(arg('getrandom("\\x14\\x07\\x30\\xf6", 4, GRND_NONBLOCK) = 4', 0)).toEqual(s('\x14\x07\x30\xf6'));
    expect(arg('write(1, "a\\tb\\n\\"q\\"\\\\", 9) = 9', 1)).toEqual(s('a\tb\n"q"\\'));
    expect(arg('read(3, "\\247\\r\\r\\n"..., 4096) = 4096', 1)).toEqual(s('\xa7\r\r\n', true));
    // octal escapes that run into digits: strace writes \0001 as \000 then '1'
    expect(arg('read(3, "\\0001,\\5", 4) = 4', 1)).toEqual(s('\x001,\x05'));
  });

  test('numbers: decimal, negative, hex pointers (as bigints), octal modes', () => {
    const c = call('mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7ffa66c41000');
    expect(c.args.map((a) => a.value)).toEqual([
      id('NULL'), num(8192n),
      { kind: 'flags', items: [id('PROT_READ'), id('PROT_WRITE')] },
      { kind: 'flags', items: [id('MAP_PRIVATE'), id('MAP_ANONYMOUS')] },
      num(-1n), num(0n),
    ]);
    expect(c.result).toEqual({ value: 0x7ffa66c41000n, text: '0x7ffa66c41000' });
    expect(arg('chmod("a.txt", 0600) = 0', 1)).toEqual(num(0o600n, '0600'));
    expect(arg('lseek(3, 18446744073709551615, SEEK_SET) = 0', 1)).toEqual(num(18446744073709551615n));
  });

  test('structs with named members, comments after values, nested calls, and ... for the rest', () => {
    const st = arg('newfstatat(3, "", {st_dev=makedev(0xfe, 0), st_ino=819, st_mode=S_IFREG|0644, st_size=35211, st_atime=1796681229 /* 2026-12-07T22:07:09.004010518+0000 */, ...}, AT_EMPTY_PATH) = 0', 2);
    expect(st).toEqual({ kind: 'struct', fields: [
      { name: 'st_dev', value: { kind: 'call', name: 'makedev', args: [{ value: num(0xfen, '0xfe') }, { value: num(0n) }] } },
      { name: 'st_ino', value: num(819n) },
      { name: 'st_mode', value: { kind: 'flags', items: [id('S_IFREG'), num(0o644n, '0644')] } },
      { name: 'st_size', value: num(35211n) },
      { name: 'st_atime', value: { ...num(1796681229n), comment: '2026-12-07T22:07:09.004010518+0000' } },
      { value: { kind: 'ellipsis' } },
    ] });
  });

  test('arrays, the /* N vars */ comment of execve without -v, and named arguments (clone)', () => {
    const c = call('execve("/usr/bin/ls", ["ls", "-la"], 0x7ffd1e9d9c58 /* 12 vars */) = 0');
    expect(c.args[1].value).toEqual({ kind: 'array', items: [s('ls'), s('-la')], sep: ',' });
    expect(c.args[2].value).toEqual({ ...num(0x7ffd1e9d9c58n, '0x7ffd1e9d9c58'), comment: '12 vars' });
    const cl = call('clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f70af090310) = 12215');
    expect(cl.args.map((a) => a.name)).toEqual(['child_stack', 'flags', 'child_tidptr']);
    expect(cl.result?.value).toBe(12215n);
    expect(arg('pipe2([3, 4], 0) = 0', 0)).toEqual({ kind: 'array', items: [num(3n), num(4n)], sep: ',' });
    expect(arg('getdents64(3, [], 32768) = 0', 1)).toEqual({ kind: 'array', items: [], sep: ',' });
    expect(arg('ioctl(4, BTRFS_IOC_CLONE or FICLONE, 3) = -1 EOPNOTSUPP (Operation not supported)', 1)).toEqual({ kind: 'expr', ops: ['or'], operands: [id('BTRFS_IOC_CLONE'), id('FICLONE')] });
  });

  test('signal sets: [INT QUIT], ~[RTMIN RT_1], []', () => {
    const sa = arg('rt_sigaction(SIGCHLD, {sa_handler=0x556b4c3bbdc0, sa_mask=~[RTMIN RT_1], sa_flags=SA_RESTORER, sa_restorer=0x7fb7e61ef050}, NULL, 8) = 0', 1);
    expect(sa.kind === 'struct' && sa.fields[1]).toEqual({ name: 'sa_mask', value: { kind: 'unary', op: '~', operand: { kind: 'array', items: [id('RTMIN'), id('RT_1')], sep: ' ' } } });
    expect(arg('rt_sigprocmask(SIG_BLOCK, [INT QUIT CHLD], [], 8) = 0', 1)).toEqual({ kind: 'array', items: [id('INT'), id('QUIT'), id('CHLD')], sep: ' ' });
  });

  test('expressions: wait statuses, 8192*1024, -ENODEV; in/out values with =>', () => {
    expect(arg('wait4(-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 12198', 1)).toEqual({
      kind: 'array', sep: ',', items: [{ kind: 'struct', fields: [{ value: { kind: 'expr', ops: ['&&', '=='], operands: [
        { kind: 'call', name: 'WIFEXITED', args: [{ value: id('s') }] },
        { kind: 'call', name: 'WEXITSTATUS', args: [{ value: id('s') }] },
        num(0n),
      ] } }] }],
    });
    const rl = arg('prlimit64(0, RLIMIT_STACK, NULL, {rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}) = 0', 3);
    expect(rl.kind === 'struct' && rl.fields[0].value).toEqual({ kind: 'expr', ops: ['*'], operands: [num(8192n), num(1024n)] });
    expect(arg('getsockname(3, {sa_family=AF_INET, sin_port=htons(5555), sin_addr=inet_addr("127.0.0.1")}, [128 => 16]) = 0', 2))
      .toEqual({ kind: 'array', sep: ',', items: [{ kind: 'inout', before: num(128n), after: num(16n) }] });
    const nl = arg('recvmsg(3, {msg_name={sa_family=AF_NETLINK, nl_pid=0, nl_groups=00000000}, msg_namelen=12, msg_iov=[{iov_base=[{nlmsg_len=52, nlmsg_type=NLMSG_ERROR, nlmsg_flags=0, nlmsg_seq=0, nlmsg_pid=7483}, {error=-ENODEV, msg=[{nlmsg_len=32, nlmsg_type=0x10 /* NLMSG_??? */, nlmsg_flags=NLM_F_REQUEST|NLM_F_ACK, nlmsg_seq=0, nlmsg_pid=0}, "\\x00\\x00"]}], iov_len=32768}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, 0) = 52', 1);
    expect(JSON.stringify(nl, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))).toContain('{"kind":"unary","op":"-","operand":{"kind":"ident","name":"ENODEV"}}');
  });

  test('-y paths on fds, abstract socket names, <…> forms', () => {
    const c = call('read(3</etc/passwd>, "root:x:0:0"..., 4096) = 1234');
    expect(c.args[0].value).toEqual({ ...num(3n), path: '/etc/passwd' });
    expect(arg('connect(3, {sa_family=AF_UNIX, sun_path=@"/tmp/.X11-unix/X0"}, 20) = 0', 1)).toMatchObject({ fields: [{}, { name: 'sun_path', value: { kind: 'str', value: '/tmp/.X11-unix/X0', abstract: true } }] });
    expect(arg('restart_syscall(<... resuming interrupted clock_nanosleep ...>) = 0', 0)).toEqual({ kind: 'angle', text: '... resuming interrupted clock_nanosleep ...' });
  });
});

describe('strace values seen in wider logs (ip, node, -y)', () => {
  test('link-layer addresses and designated netlink array elements', () => {
    const v = arg('sendmsg(3, {msg_iov=[{iov_base=[{nla_len=10, nla_type=IFLA_ADDRESS}, c2:f7:5d:62:d5:90], iov_len=20}]}, 0) = 20', 1);
    const iov = JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
    expect(iov).toContain('{"kind":"hwaddr","text":"c2:f7:5d:62:d5:90"}');
    expect(arg('recvmsg(3, [[IPV4_DEVCONF_FORWARDING-1]=0, [DEVCONF_MTU6]=65536], 0) = 0', 1)).toEqual({ kind: 'array', sep: ',', items: [
      { kind: 'element', index: { kind: 'expr', ops: ['-'], operands: [id('IPV4_DEVCONF_FORWARDING'), num(1n)] }, value: num(0n) },
      { kind: 'element', index: id('DEVCONF_MTU6'), value: num(65536n) },
    ] });
  });

  test('capability sets: 1<<CAP_CHOWN|1<<CAP_KILL', () => {
    const caps = arg('capget({version=_LINUX_CAPABILITY_VERSION_3, pid=19496}, {effective=1<<CAP_CHOWN|1<<CAP_KILL, permitted=0, inheritable=0}) = 0', 1);
    expect(caps.kind === 'struct' && caps.fields[0].value).toEqual({ kind: 'expr', ops: ['<<', '|', '<<'], operands: [num(1n), id('CAP_CHOWN'), num(1n), id('CAP_KILL')] });
  });

  test('-y on AT_FDCWD, and clone3 with an out-value after =>', () => {
    expect(arg('newfstatat(AT_FDCWD</tmp/etest-stress>, "x", 0x7ffd, 0) = -1 ENOENT (No such file or directory)', 0)).toEqual({ kind: 'ident', name: 'AT_FDCWD', path: '/tmp/etest-stress' });
    const l = parse([
      `26228 ${T} clone3({flags=CLONE_VM|CLONE_THREAD, child_tid=0x7f698c3a3990, exit_signal=0, stack=0x7f698bba3000, stack_size=0x7fff00, tls=0x7f698c3a36c0} <unfinished ...>`,
      `26228 ${T} <... clone3 resumed> => {parent_tid=[26229]}, 88) = 26229`,
    ].join('\n'));
    expect(l.errors).toEqual([]);
    const c = l.events[0] as StraceCall;
    expect(c.args[0].value).toMatchObject({ kind: 'inout', before: { kind: 'struct' }, after: { kind: 'struct', fields: [{ name: 'parent_tid', value: { kind: 'array', items: [num(26229n)] } }] } });
    expect(c.result?.value).toBe(26229n);
  });
});

describe('strace results', () => {
  test.each([
    ['= 3', { value: 3n, text: '3' }],
    ['= -1 ENOENT (No such file or directory)', { value: -1n, errno: 'ENOENT', note: 'No such file or directory', text: '-1 ENOENT (No such file or directory)' }],
    ['= ?', { text: '?' }],
    ['= ? ERESTARTSYS (To be restarted if SA_RESTART is set)', { errno: 'ERESTARTSYS', note: 'To be restarted if SA_RESTART is set', text: '? ERESTARTSYS (To be restarted if SA_RESTART is set)' }],
    ['= ? ERESTART_RESTARTBLOCK (Interrupted by signal)', { errno: 'ERESTART_RESTARTBLOCK', note: 'Interrupted by signal', text: '? ERESTART_RESTARTBLOCK (Interrupted by signal)' }],
    ['= 0x38800 (flags O_RDONLY|O_NONBLOCK|O_LARGEFILE)', { value: 0x38800n, note: 'flags O_RDONLY|O_NONBLOCK|O_LARGEFILE', text: '0x38800 (flags O_RDONLY|O_NONBLOCK|O_LARGEFILE)' }],
    ['= 3</tmp/bpfsim-rec/cat/a.txt>', { value: 3n, path: '/tmp/bpfsim-rec/cat/a.txt', text: '3</tmp/bpfsim-rec/cat/a.txt>' }],
    ['= 1 ([{fd=3, revents=POLLIN}])', { value: 1n, note: '[{fd=3, revents=POLLIN}]', text: '1 ([{fd=3, revents=POLLIN}])' }],
    ['= 0 (Timeout)', { value: 0n, note: 'Timeout', text: '0 (Timeout)' }],
    ['= 022', { value: 0o22n, text: '022' }],
    ['= -0x1', { value: -1n, text: '-0x1' }],
  ])('%s', (res, want) => {
    expect(call(`openat(AT_FDCWD, "a.txt", O_RDONLY) ${res}`).result).toEqual(want);
  });
});

describe('strace records', () => {
  test('unfinished/resumed pairs are joined per pid, interleaved with other pids, keeping both lines and times', () => {
    const l = parse([
      `6543  1796681571.957772 newfstatat(AT_FDCWD, "/usr/bin/wc",  <unfinished ...>`,
      `6544  1796681571.957831 close(3 <unfinished ...>`,
      `6543  1796681571.957849 <... newfstatat resumed>0x7ffdf1cc1bc0, 0) = -1 ENOENT (No such file or directory)`,
      `6544  1796681571.957889 <... close resumed>) = 0`,
    ].join('\n'));
    expect(l.errors).toEqual([]);
    expect(l.events.map((e) => [e.pid, e.line, e.timeNs, e.kind === 'syscall' && e.name, e.kind === 'syscall' && e.resumed])).toEqual([
      [6543, 1, 0, 'newfstatat', { timeNs: 77000, line: 3 }],
      [6544, 2, 59000, 'close', { timeNs: 117000, line: 4 }],
    ]);
    const nf = l.events[0] as StraceCall;
    expect(nf.args.map((a) => a.value.kind)).toEqual(['ident', 'str', 'num', 'num']);
    expect(nf.result?.errno).toBe('ENOENT');
  });

  test('a call that never resumes (the process exits in it) keeps its arguments and is marked unfinished', () => {
    const l = parse([`7 ${T} exit_group(0 <unfinished ...>`, `7 ${T} +++ exited with 0 +++`].join('\n'));
    expect(l.errors).toEqual([]);
    expect(l.events[0]).toMatchObject({ kind: 'syscall', name: 'exit_group', unfinished: true, args: [{ value: num(0n) }] });
    expect(l.events[0]).not.toHaveProperty('result');
  });

  test('a process killed inside a call: `<... x resumed> <unfinished ...>) = ?` and the one-line form', () => {
    const l = parse([
      `26223 ${T} clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=5, tv_nsec=0},  <unfinished ...>`,
      `26222 ${T} kill(26223, SIGKILL) = 0`,
      `26223 ${T} <... clock_nanosleep resumed> <unfinished ...>) = ?`,
      `26223 ${T} +++ killed by SIGKILL +++`,
      `19348 ${T} ioctl(1, TIOCGPTN <unfinished ...>) = ?`,
      `19348 ${T} +++ killed by SIGKILL +++`,
    ].join('\n'));
    expect(l.errors).toEqual([]);
    expect(l.events[0]).toMatchObject({ name: 'clock_nanosleep', unfinished: true, resumed: { line: 3 } });
    expect((l.events[0] as StraceCall).args).toHaveLength(3);
    expect(l.events[0]).not.toHaveProperty('result');
    expect(l.events[3]).toMatchObject({ name: 'ioctl', unfinished: true, line: 5, args: [{ value: num(1n) }, { value: id('TIOCGPTN') }] });
    expect(l.events[3]).not.toHaveProperty('result');
    const bad = parse(`1 ${T} <... read resumed> <unfinished ...>) = 0`);
    expect(bad.errors.map((e) => e.message)).toEqual(["rec.log:1:60: expected '= ?' after '<unfinished ...>)', found '0'"]);
  });

  test('<detached ...> ends the pending call of its pid', () => {
    const l = parse([`9 ${T} read(0,  <unfinished ...>`, `9 ${T} <detached ...>`].join('\n'));
    expect(l.errors).toEqual([]);
    expect(l.events).toMatchObject([{ name: 'read', unfinished: true, args: [{ value: num(0n) }] }]);
  });

  test('signals, stops, exits, kills and superseded threads', () => {
    const l = parse([
      `12 ${T} --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=13, si_uid=0, si_status=7, si_utime=0, si_stime=0} ---`,
      `12 ${T} --- stopped by SIGSTOP ---`,
      `13 ${T} +++ exited with 7 +++`,
      `14 ${T} +++ killed by SIGKILL +++`,
      `15 ${T} +++ killed by SIGSEGV (core dumped) +++`,
      `16 ${T} +++ superseded by execve in pid 17 +++`,
    ].join('\n'));
    expect(l.errors).toEqual([]);
    expect(l.events[0]).toMatchObject({ kind: 'signal', signal: 'SIGCHLD' });
    expect(l.events[0].kind === 'signal' && l.events[0].info?.find((f) => f.name === 'si_pid')?.value).toEqual(num(13n));
    expect(l.events.slice(1).map(({ line: _l, timeNs: _t, ...e }) => e)).toEqual([
      { kind: 'signal', pid: 12, signal: 'SIGSTOP', stopped: true },
      { kind: 'exit', pid: 13, code: 7 },
      { kind: 'exit', pid: 14, signal: 'SIGKILL' },
      { kind: 'exit', pid: 15, signal: 'SIGSEGV', coreDumped: true },
      { kind: 'superseded', pid: 16, byPid: 17 },
    ]);
  });

  test('times: -ttt microseconds become ns since the first line', () => {
    const l = parse([`1 1000.000001 getpid() = 1`, `1 1001.5 getpid() = 1`].join('\n'));
    expect(l.startNs).toBe(1000_000_001_000n);
    expect(l.events.map((e) => e.timeNs)).toEqual([0, 1_499_999_000]);
  });
});

describe('strace errors name the file, line and column, and never drop a line', () => {
  test.each([
    ['getpid() = 1', 'rec.log:1:1: no pid before the timestamp (record with strace -f)', 'NOPID'],
    ['12 1.5 fubar', "rec.log:1:8: expected a syscall, a signal (---) or an exit (+++), found 'fubar'", ''],
    ['12 1.5 read(3, "abc, 3) = 3', 'rec.log:1:16: unterminated string', ''],
    ['12 1.5 read(3, "abc", 3) = ', "rec.log:1:28: expected a result value or '?', found end of line", ''],
    ['12 1.5 read(3, "abc", 3) = 3 ENOENT (x) junk', "rec.log:1:41: unexpected 'junk' after the result", ''],
    ['12 1.5 read(3 "abc", 3) = 3', "rec.log:1:15: expected ',' or ')', found '\"abc\", 3) = 3'", ''],
    ['12 1.5 --- SIGCHLD {si_signo=SIGCHLD ---', "rec.log:1:38: expected ',' or '}', found '---'", ''],
    ['12 1.5 +++ exited with x +++', "rec.log:1:8: expected 'exited with N', 'killed by SIG…' or 'superseded by execve in pid N' between +++, found '+++ exited with x ++…'", ''],
  ])('%s', (line, message, kind) => {
    const text = kind === 'NOPID' ? `${T} ${line}` : line;
    const l = parse(`1 1.0 getpid() = 1\n${text}\n1 2.0 getpid() = 1\n`);
    expect(l.events.map((e) => e.line)).toEqual([1, 3]);
    expect(l.errors).toHaveLength(1);
    const e = l.errors[0];
    expect(e).toBeInstanceOf(StraceParseError);
    expect(e).toBeInstanceOf(BpfsimError);
    expect(e.code).toBe('ESTRACE');
    expect(e.message).toBe(message.replace('rec.log:1:', 'rec.log:2:').replace(/:1:1: no pid/, ':2:1: no pid'));
  });

  test('a resumed line without its unfinished call, or of another syscall, is an error of that line', () => {
    const l = parse([`5 ${T} <... read resumed>"x", 1) = 1`, `5 ${T} write(1,  <unfinished ...>`, `5 ${T} <... read resumed>"x", 1) = 1`].join('\n'));
    expect(l.errors.map((e) => e.message)).toEqual([
      "rec.log:1:1: '<... read resumed>' of pid 5 without an unfinished call before it",
      "rec.log:3:1: '<... read resumed>' of pid 5, but its unfinished call (line 2) is write",
    ]);
  });

  test('an error in the resumed half of a joined call names the resumed line and its column', () => {
    const l = parse([`5 ${T} read(3,  <unfinished ...>`, `5 ${T} <... read resumed>"x" 1) = 1`].join('\n'));
    expect(l.errors.map((e) => e.message)).toEqual(["rec.log:2:43: expected ',' or ')', found '1) = 1' (in the call begun at line 1)"]);
    expect(l.events).toEqual([]);
    const l2 = parse([`5 ${T} read(3, "x  <unfinished ...>`, `5 ${T} <... read resumed>, 1) = 1`].join('\n'));
    expect(l2.errors.map((e) => [e.message, e.related])).toEqual([['rec.log:1:29: unterminated string (in the call resumed at line 2)', 2]]);
  });
});
