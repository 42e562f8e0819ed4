/**
 * bpf_trace_printk and bpf_snprintf. trace_printk lines go to the kernel's
 * trace_pipe (kernel.bpf.tracePipe) and the trace; both follow the format
 * rules of bprintf.ts.
 */
import { Errno } from '@bpfsim/uapi';
import type { HelperCall } from '@bpfsim/vm';
import { parseBprintf, renderBprintf, type BprintfEnv } from './bprintf';
import { readCString, tryRead } from './mem';
import { neg, type HelperArea } from './types';

/** MAX_TRACE_PRINTK_VARARGS, MAX_BPRINTF_VARARGS, MAX_BPRINTF_BUF */
const MAX_TRACE_PRINTK_VARARGS = 3;
const MAX_BPRINTF_VARARGS = 12;
const MAX_BPRINTF_BUF = 1024;

const latin1 = (b: Uint8Array): string => String.fromCharCode(...b);

export function bprintfEnv(call: HelperCall): BprintfEnv {
  return {
    readString: (addr, _space, max) => {
      const b = readCString(call.mem, addr, max);
      return b ? latin1(b) : null;
    },
    readBytes: (addr, size) => tryRead(call.mem, addr, size),
  };
}

/** The format bytes a helper was given: fmt_size bytes, which must hold a NUL. */
function fmtBytes(call: HelperCall, addr: bigint, size: number): Uint8Array | null {
  return tryRead(call.mem, addr, size);
}

export const traceHelpers: HelperArea = {
  bpf_trace_printk(env, call, fmt, fmtSize, a1, a2, a3) {
    const f = fmtBytes(call, fmt, Number(fmtSize & 0xffffffffn));
    if (!f) return neg(Errno.EFAULT);
    const specs = parseBprintf(f, MAX_TRACE_PRINTK_VARARGS);
    if (typeof specs === 'number') return neg(-specs);
    const text = renderBprintf(specs, [a1, a2, a3], bprintfEnv(call), MAX_BPRINTF_BUF);
    env.kernel.bpf.tracePrintk(env, text.slice(0, MAX_BPRINTF_BUF - 1));
    return BigInt(text.length);
  },
  bpf_trace_vprintk(env, call, fmt, fmtSize, data, dataLen) {
    const n = Number(dataLen & 0xffffffffn);
    if (n % 8 || n > MAX_BPRINTF_VARARGS * 8 || (n && data === 0n)) return neg(Errno.EINVAL);
    const f = fmtBytes(call, fmt, Number(fmtSize & 0xffffffffn));
    if (!f) return neg(Errno.EFAULT);
    const args = readArgs(call, data, n / 8);
    const specs = parseBprintf(f, n / 8);
    if (typeof specs === 'number') return neg(-specs);
    const text = renderBprintf(specs, args, bprintfEnv(call), MAX_BPRINTF_BUF);
    env.kernel.bpf.tracePrintk(env, text.slice(0, MAX_BPRINTF_BUF - 1));
    return BigInt(text.length);
  },
  bpf_snprintf(env, call, str, strSize, fmt, data, dataLen) {
    const n = Number(dataLen & 0xffffffffn);
    if (n % 8 || n > MAX_BPRINTF_VARARGS * 8 || (n && data === 0n)) return neg(Errno.EINVAL);
    // fmt is a NUL-terminated string in a read-only map value (the verifier checked it).
    const f = readCString(call.mem, fmt, 1 << 16);
    if (!f) return neg(Errno.EFAULT);
    const withNul = new Uint8Array(f.length + 1);
    withNul.set(f);
    const specs = parseBprintf(withNul, n / 8);
    if (typeof specs === 'number') return neg(-specs);
    const size = Number(strSize & 0xffffffffn);
    const text = renderBprintf(specs, readArgs(call, data, n / 8), bprintfEnv(call), size);
    if (size > 0) {
      const out = new Uint8Array(Math.min(size, text.length + 1));
      for (let i = 0; i < out.length - 1; i++) out[i] = text.charCodeAt(i);
      call.mem.write(str, out);
    }
    // bstr_printf's would-be length plus the NUL.
    return BigInt(text.length + 1);
  },
};

function readArgs(call: HelperCall, addr: bigint, count: number): bigint[] {
  if (count === 0) return [];
  const b = call.mem.read(addr, count * 8);
  const dv = new DataView(b.buffer, b.byteOffset);
  return Array.from({ length: count }, (_, i) => dv.getBigUint64(i * 8, true));
}

export { readArgs as readBprintfArgs };
