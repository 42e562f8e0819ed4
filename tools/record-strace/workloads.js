'use strict';
/**
 * The recording campaign's workloads: what `npm run record:strace` runs under strace, one log per
 * entry. Everything here is fixed (file names, contents, commands, environment) so a re-recording
 * differs from the committed one only in what the kernel chose (pids, addresses, times, inodes).
 *
 *   name   the fixture's base name (packages/scenario/test/fixtures/strace/<name>.log/.json)
 *   files  set-up inside the workload's directory /tmp/bpfsim-rec/<name> before strace starts:
 *          { path: contents } for regular files, { path: { symlink: target } }, { path: { dir: true } }
 *   argv   the command strace runs (cwd: the workload's directory), resolved through PATH below
 *   needs  programs that must exist for the workload to be recorded (otherwise it is skipped)
 */

const LINES = 'alpha\nbravo\ncharlie\ndelta\necho\nfoxtrot\ngolf\nhotel\n';
const PY = '/usr/bin/python3';

// python3 without site/user paths or environment: fewer files opened at start-up, same on every host.
const py = (code) => [PY, '-I', '-S', '-c', code];

const workloads = [
  { name: 'ls-la', files: { 'a.txt': 'hello\n', 'b.txt': 'world\n', sub: { dir: true } }, argv: ['ls', '-la'] },
  { name: 'cat', files: { 'a.txt': 'hello, strace\n' }, argv: ['cat', 'a.txt', 'missing.txt'] },
  { name: 'cp', files: { 'a.txt': LINES }, argv: ['cp', 'a.txt', 'copy.txt'] },
  { name: 'mv', files: { 'a.txt': 'move me\n', dst: { dir: true } }, argv: ['mv', 'a.txt', 'dst/b.txt'] },
  { name: 'rm', files: { 'a.txt': 'x\n', 'b.txt': 'y\n' }, argv: ['rm', '-f', 'a.txt', 'b.txt', 'nope.txt'] },
  { name: 'rm-r', files: { 'd/e/f.txt': 'deep\n', 'd/g.txt': 'g\n' }, argv: ['rm', '-r', 'd'] },
  { name: 'mkdir-p', files: {}, argv: ['mkdir', '-p', 'x/y/z'] },
  { name: 'find', files: { 'a.txt': 'a\n', 'd/b.txt': 'b\n', 'd/e/c.txt': 'c\n' }, argv: ['find', '.', '-name', '*.txt'] },
  { name: 'stat', files: { 'a.txt': 'stat me\n' }, argv: ['stat', 'a.txt', 'missing'] },
  { name: 'touch', files: { 'old.txt': 'old\n' }, argv: ['touch', 'old.txt', 'new.txt'] },
  { name: 'ln-s', files: { 'a.txt': 'target\n' }, argv: ['ln', '-s', 'a.txt', 'link'] },
  { name: 'readlink', files: { 'a.txt': 'target\n', link: { symlink: 'a.txt' } }, argv: ['readlink', 'link'] },
  { name: 'chmod', files: { 'a.txt': 'mode\n' }, argv: ['chmod', '600', 'a.txt'] },
  { name: 'head', files: { 'lines.txt': LINES }, argv: ['head', '-n', '3', 'lines.txt'] },
  { name: 'tail', files: { 'lines.txt': LINES }, argv: ['tail', '-n', '2', 'lines.txt'] },
  { name: 'wc', files: { 'lines.txt': LINES }, argv: ['wc', 'lines.txt'] },
  { name: 'dd', files: { 'a.txt': LINES }, argv: ['dd', 'if=a.txt', 'of=b.bin', 'bs=8', 'count=2'] },
  { name: 'sh-pipeline', files: { 'lines.txt': LINES }, argv: ['sh', '-c', 'cat lines.txt | sort -r | head -n 3 | wc -l'] },
  { name: 'sh-redirect', files: { 'lines.txt': LINES }, argv: ['sh', '-c', 'grep a lines.txt > out.txt; cat out.txt >> out.txt; wc -c < out.txt'] },
  { name: 'sh-subshell-exit', files: {}, argv: ['sh', '-c', '(echo sub; exit 3); echo status=$?; false || echo fallback'] },
  { name: 'sh-background-wait', files: {}, argv: ['sh', '-c', 'sleep 0.05 & sleep 0.01 & wait; echo done'] },
  { name: 'signal-kill', files: {}, argv: ['sh', '-c', 'sleep 5 & kill -TERM $!; wait $!; echo status=$?'] },
  { name: 'signal-trap', files: {}, argv: ['sh', '-c', 'trap "echo caught USR1" USR1; kill -USR1 $$; echo after'] },
  { name: 'signal-sigkill', files: {}, argv: ['sh', '-c', 'sh -c "kill -KILL \\$\\$"; echo status=$?'] },
  // A trapped signal interrupts the shell's wait: wait4 ends with ERESTARTSYS and the trap runs.
  { name: 'signal-interrupt-wait', files: {}, argv: ['sh', '-c', 'trap "echo got USR1" USR1; (sleep 0.05; kill -USR1 $$) & sleep 0.3 & wait; echo done'] },
  // Stopping and continuing a sleeper: `--- stopped by SIGSTOP ---` and restart_syscall.
  { name: 'signal-stop-cont', files: {}, argv: ['sh', '-c', 'sleep 0.3 & p=$!; sleep 0.05; kill -STOP $p; sleep 0.05; kill -CONT $p; wait $p; echo status=$?'] },
  // SIGKILL from timeout(1) lands while sleep is inside clock_nanosleep: a call that never returns.
  { name: 'signal-timeout-kill', files: {}, argv: ['timeout', '-s', 'KILL', '0.1', 'sleep', '5'] },
  { name: 'unshare-pid-mnt-uts', files: {}, argv: ['unshare', '-fpmu', '--mount-proc', 'sh', '-c', 'hostname ct1; echo pid=$$; ls /proc/self/ns; cat /proc/self/status | head -n 1'] },
  { name: 'uts-hostname', files: {}, argv: ['unshare', '-u', 'sh', '-c', 'hostname bpfsim-uts; hostname; uname -n'] },
  { name: 'mnt-tmpfs', files: { mnt: { dir: true } }, argv: ['unshare', '-m', 'sh', '-c', 'mount -t tmpfs none mnt && echo inside > mnt/f && cat mnt/f && umount mnt'] },
  {
    name: 'python-files',
    files: { 'in.txt': LINES },
    argv: py([
      'import os',
      'data = open("in.txt").read()',
      'with open("out.txt", "w") as f: f.write(data.upper())',
      'os.rename("out.txt", "renamed.txt")',
      'os.mkdir("dir")',
      'os.symlink("renamed.txt", "dir/link")',
      'print(sorted(os.listdir(".")), os.stat("renamed.txt").st_size, os.readlink("dir/link"))',
      'os.unlink("dir/link"); os.rmdir("dir")',
      'try:\n    os.stat("missing")\nexcept FileNotFoundError as e:\n    print("enoent", e.errno)',
    ].join('\n')),
  },
  {
    name: 'python-fork-pipe',
    files: {},
    argv: py([
      'import os',
      'r, w = os.pipe()',
      'pid = os.fork()',
      'if pid == 0:\n    os.close(r); os.write(w, b"from child %d" % os.getppid()); os._exit(7)',
      'os.close(w)',
      'msg = os.read(r, 100)',
      '_, status = os.waitpid(pid, 0)',
      'print(msg.decode(), os.waitstatus_to_exitcode(status))',
    ].join('\n')),
  },
  {
    name: 'python-exec',
    files: { 'a.txt': 'x\n' },
    argv: py([
      'import os',
      'pid = os.fork()',
      'if pid == 0:\n    os.execv("/usr/bin/cat", ["cat", "a.txt"])',
      '_, status = os.waitpid(pid, 0)',
      'print("exit", os.waitstatus_to_exitcode(status))',
    ].join('\n')),
  },
  {
    name: 'python-signal',
    files: {},
    argv: py([
      // _signal (the C module) rather than signal: the same syscalls without importing enum & co.
      'import os, _signal as signal',
      'got = []',
      'signal.signal(signal.SIGUSR1, lambda s, f: got.append(s))',
      'os.kill(os.getpid(), signal.SIGUSR1)',
      'pid = os.fork()',
      'if pid == 0:\n    signal.pause()',
      'os.kill(pid, signal.SIGTERM)',
      '_, status = os.waitpid(pid, 0)',
      'print(got, os.WIFSIGNALED(status), os.WTERMSIG(status))',
    ].join('\n')),
  },
  {
    // A handled signal lands while the parent blocks in read(): ERESTARTSYS, the handler, then read again (PEP 475).
    name: 'signal-restart-read',
    files: {},
    argv: py([
      'import os, time, _signal as signal',
      'signal.signal(signal.SIGUSR1, lambda s, f: None)',
      'r, w = os.pipe()',
      'pid = os.fork()',
      'if pid == 0:\n    time.sleep(0.05); os.kill(os.getppid(), signal.SIGUSR1); time.sleep(0.05); os.write(w, b"late"); os._exit(0)',
      'print(os.read(r, 16))',
      'os.waitpid(pid, 0)',
    ].join('\n')),
  },
  {
    // A thread (clone3 with CLONE_THREAD) writes to a pipe the main thread reads; _thread avoids importing threading.
    name: 'python-thread',
    files: {},
    argv: py([
      'import _thread, os',
      'r, w = os.pipe()',
      '_thread.start_new_thread(lambda: os.write(w, b"from thread"), ())',
      'print(os.read(r, 64))',
    ].join('\n')),
  },
  {
    name: 'tcp-loopback',
    files: {},
    // A fresh network namespace: only its own loopback, brought up by the workload itself.
    argv: ['unshare', '-n', 'sh', '-c', `ip link set lo up && ${PY} -I -S -c '${[
      // _socket (the C module) rather than socket: the same syscalls without importing enum & co.
      'import os, _socket as S',
      'srv = S.socket(S.AF_INET, S.SOCK_STREAM)',
      'srv.setsockopt(S.SOL_SOCKET, S.SO_REUSEADDR, 1)',
      'srv.bind(("127.0.0.1", 5555)); srv.listen(1)',
      'pid = os.fork()',
      'if pid == 0:\n    srv.close(); c = S.socket(S.AF_INET, S.SOCK_STREAM); c.connect(("127.0.0.1", 5555)); c.sendall(b"ping"); os.write(1, c.recv(16) + b"\\n"); c.close(); os._exit(0)',
      'fd, addr = srv._accept(); conn = S.socket(fileno=fd)',
      'conn.sendall(conn.recv(16).upper()); conn.close(); srv.close()',
      'os.waitpid(pid, 0)',
    ].join('\n')}'`],
    needs: ['ip'],
  },
  {
    name: 'udp-loopback',
    files: {},
    argv: ['unshare', '-n', 'sh', '-c', `ip link set lo up && ${PY} -I -S -c '${[
      'import _socket as S',
      'a = S.socket(S.AF_INET, S.SOCK_DGRAM); a.bind(("127.0.0.1", 6000))',
      'b = S.socket(S.AF_INET, S.SOCK_DGRAM)',
      'b.sendto(b"datagram", ("127.0.0.1", 6000))',
      'print(a.recvfrom(64)[0]); a.close(); b.close()',
    ].join('\n')}'`],
    needs: ['ip'],
  },
];

module.exports = { workloads, BASE: '/tmp/bpfsim-rec', ENV_PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
