'use strict';
/**
 * C programs judged by the system libbpf and the kernel, for tests: compile a BPF C source with
 * clang-19 (against the profile kernel's vmlinux.h when asked), then ask the kernel — through the
 * tape — what libbpf's loader gets for each program of the object
 * (packages/kernel/test/fixtures/tracing/libbpf-verdicts.c: "<name> <errno> <final line>" per line).
 * The question is the C source, the loader's source and the profile's BTF, not the object: its
 * debug info names the temporary directory it was built in.
 */
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const tape = require('./tape');
const profile = require('./profile');

const LOADER = path.join(tape.ROOT, 'packages', 'kernel', 'test', 'fixtures', 'tracing', 'libbpf-verdicts.c');

/** Build `src`; { obj, dir } or { reason } (no clang-19, no bpftool, a compile error). `vmlinux`: add the profile's vmlinux.h. */
function compileBpf(src, { vmlinux = false, tag = 'bpf' } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bpfsim-${tag}-`));
  try {
    const inc = [];
    if (vmlinux) {
      const btfFile = path.join(dir, 'vmlinux.btf');
      fs.writeFileSync(btfFile, profile.profileBtfBytes());
      fs.writeFileSync(path.join(dir, 'vmlinux.h'), execFileSync('bpftool', ['btf', 'dump', 'file', btfFile, 'format', 'c'], { maxBuffer: 256 << 20 }));
      inc.push('-I', dir);
    }
    const obj = path.join(dir, `${path.basename(src, '.c')}.o`);
    execFileSync(process.env.CLANG || 'clang-19', ['-O2', '-g', '-target', 'bpf', '-D__TARGET_ARCH_x86', '-Wall', ...inc,
      '-idirafter', '/usr/include/x86_64-linux-gnu', '-c', src, '-o', obj], { stdio: 'pipe' });
    return { obj, dir };
  } catch (e) {
    return { reason: `cannot build ${path.basename(src)}: ${String((e && e.message) || e).split('\n')[0]}` };
  }
}

/** "<name> <errno> <final line>" per program of `built.obj` (built from `src`), from libbpf and the kernel or the tape. */
function libbpfVerdicts(built, src, { vmlinux = false } = {}) {
  const question = { source: fs.readFileSync(src, 'utf8'), loader: fs.readFileSync(LOADER, 'utf8') };
  if (vmlinux) question.btf = profile.profileMeta().sha256;
  return tape.ask('exec.libbpf-verdicts', question, () => {
    const bin = path.join(built.dir, 'libbpf-verdicts');
    execFileSync(process.env.CC || 'cc', ['-O1', '-o', bin, LOADER, '-lbpf'], { stdio: 'pipe' });
    return execFileSync(bin, [built.obj]).toString();
  });
}

module.exports = { compileBpf, libbpfVerdicts, LOADER };
