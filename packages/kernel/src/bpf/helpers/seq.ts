/**
 * bpf_seq_printf and bpf_seq_write (kernel/trace/bpf_trace.c): an iterator program writes into the
 * seq_file of the session it runs for (meta->seq). A write that does not fit marks the buffer
 * overflowed and returns -EOVERFLOW; bpf_seq_read then shows the object again in the next read.
 */
import { Errno } from '@bpfsim/uapi';
import { iterSessionAt } from '../iter/bpf_iter';
import { parseBprintf, renderBprintf } from './bprintf';
import { tryRead } from './mem';
import { bprintfEnv, readBprintfArgs } from './trace';
import { neg, type HelperArea } from './types';

/** MAX_BPRINTF_VARARGS */
const MAX_BPRINTF_VARARGS = 12;

export const seqHelpers: HelperArea = {
  bpf_seq_printf(env, call, m, fmt, fmtSize, data, dataLen) {
    const n = Number(dataLen & 0xffffffffn);
    if (n % 8 || n > MAX_BPRINTF_VARARGS * 8 || (n && data === 0n)) return neg(Errno.EINVAL);
    const f = tryRead(call.mem, fmt, Number(fmtSize & 0xffffffffn));
    if (!f) return neg(Errno.EFAULT);
    const specs = parseBprintf(f, n / 8);
    if (typeof specs === 'number') return neg(-specs);
    const seq = iterSessionAt(env.kernel, m)?.seq;
    // The verifier lets only a seq_file pointer (an iterator's meta->seq) through.
    if (!seq) return neg(Errno.EINVAL);
    seq.printf(renderBprintf(specs, readBprintfArgs(call, data, n / 8), bprintfEnv(call)));
    return seq.overflowed ? neg(Errno.EOVERFLOW) : 0n;
  },
  bpf_seq_write(env, call, m, data, len) {
    const seq = iterSessionAt(env.kernel, m)?.seq;
    if (!seq) return neg(Errno.EINVAL);
    const bytes = tryRead(call.mem, data, Number(len & 0xffffffffn));
    if (!bytes) return neg(Errno.EFAULT);
    return seq.write(bytes) ? neg(Errno.EOVERFLOW) : 0n;
  },
};
