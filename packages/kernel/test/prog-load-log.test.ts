/**
 * The verifier log's size through bpf(BPF_PROG_LOAD): log_size bounds the log (its last log_size - 1
 * bytes, or its first with BPF_LOG_FIXED), a log that did not fit fails the load with ENOSPC and
 * log_true_size says what it needs (the verifier's own tests compare the bytes with the kernel:
 * packages/verifier/test/log-size-kernel.test.ts). loadObject sizes the buffer as libbpf does.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Errno } from '@bpfsim/uapi';
import { assemble } from '@bpfsim/isa';
import { verify, type VerifyOptions } from '@bpfsim/verifier';
import { LIBBPF_LOG_BUF_SIZE } from '../src/bpf/object';
import { newKernel } from './kit';

const XDP = 6;
const insns = assemble('r0 = 2\nr1 = 3\nr0 += r1\nexit', { dialect: 'kernel' });

describe('PROG_LOAD log_size', () => {
  test('a buffer too small for an accepted program: ENOSPC, the log\'s tail, log_true_size, no program', () => {
    const k = newKernel();
    const whole = k.bpfSyscall('PROG_LOAD', { progType: XDP, insns, license: 'GPL', logLevel: 2 });
    expect(whole.ret).toBeGreaterThanOrEqual(0);
    const need = whole.log!.length + 1;
    expect(whole.logTrueSize).toBe(need);
    const small = k.bpfSyscall('PROG_LOAD', { progType: XDP, insns, license: 'GPL', logLevel: 2, logSize: 64 });
    expect(small.ret).toBe(-Errno.ENOSPC);
    expect(small.log).toBe(whole.log!.slice(-63));
    expect(small.logTrueSize).toBe(need);
    const fixed = k.bpfSyscall('PROG_LOAD', { progType: XDP, insns, license: 'GPL', logLevel: 2, logSize: 64, logFixed: true });
    expect([fixed.ret, fixed.log]).toEqual([-Errno.ENOSPC, whole.log!.slice(0, 63)]);
    // exactly the size it needs: loaded
    const exact = k.bpfSyscall('PROG_LOAD', { progType: XDP, insns, license: 'GPL', logLevel: 2, logSize: need });
    expect(exact.ret).toBeGreaterThanOrEqual(0);
    expect(exact.log).toBe(whole.log);
  });

  test('bpf_vlog_init: a buffer with log level 0 is EINVAL', () => {
    const k = newKernel();
    expect(k.bpfSyscall('PROG_LOAD', { progType: XDP, insns, license: 'GPL', logLevel: 0, logSize: 100 }).ret).toBe(-Errno.EINVAL);
  });
});

describe("loadObject's log buffer is libbpf's", () => {
  test('BPF_LOG_BUF_SIZE first, doubled on ENOSPC until the log fits (the verifier stands in for a 40 MB log)', () => {
    const sizes: (number | undefined)[] = [];
    const big = 40 << 20;
    const k = newKernel({
      verifier: (p, o: VerifyOptions) => {
        sizes.push(o.logSize);
        const r = verify(p, o);
        // a log of `big` bytes: ENOSPC in any smaller buffer
        return (o.logSize ?? Infinity) < big ? { ...r, accepted: false, errno: 'ENOSPC', logTrueSize: big } : { ...r, logTrueSize: big };
      },
    });
    const corpus = path.join(__dirname, '..', '..', '..', 'corpus');
    const o = k.loadObject(fs.readFileSync(path.join(corpus, 'hello.bpf.o')), { file: 'hello.bpf.o' });
    expect(o.programs.size).toBeGreaterThan(0);
    expect(LIBBPF_LOG_BUF_SIZE).toBe(16 * 1024 * 1024 - 1);
    // 16 MiB - 1 fails; 32 MiB - 2 would fail again (skipped); 64 MiB - 4 fits
    expect(sizes.slice(0, 2)).toEqual([LIBBPF_LOG_BUF_SIZE, LIBBPF_LOG_BUF_SIZE * 4]);
  });
});
