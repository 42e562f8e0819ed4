/**
 * poll and ppoll (fs/select.c) over the model's files: a socket answers from its
 * protocol (Sock.poll: readable when data, a connection or end of stream waits,
 * writable while the send buffer has room, POLLERR/POLLHUP), a pipe from its
 * buffer and ends, any other file is always ready. With nothing ready the call
 * sleeps until something is; its timeout is not modelled (no timers): a positive
 * timeout sleeps like -1, 0 returns at once.
 */
import { Errno } from '@bpfsim/uapi';
import { BLOCK } from '../kernel/task_struct';
import { fromUser, toUser, type SysCtx, type SysHandler, type SysRet } from './context';
import { sleepOn, sockFd } from './sys_socket';

const POLLIN = 0x1, POLLOUT = 0x4, POLLERR = 0x8, POLLHUP = 0x10, POLLNVAL = 0x20, POLLRDNORM = 0x40, POLLWRNORM = 0x100;
/** RLIMIT_NOFILE's default: more fds than that is EINVAL. */
const MAX_FDS = 1024;

function fdMask(c: SysCtx, fd: number): number {
  const f = c.t.files.get(fd);
  if (!f) return POLLNVAL;
  const r = sockFd(c, fd);
  if (typeof r !== 'number') {
    if (r.s.sk) return r.s.sk.poll();
    if (r.s.nl) return r.s.nl.poll();
    return POLLOUT | POLLWRNORM;
  }
  if (f.pipe) {
    let m = 0;
    if (f.readable) {
      if (f.pipe.len) m |= POLLIN | POLLRDNORM;
      if (!f.pipe.writers) m |= POLLHUP;
    }
    if (f.writable) {
      if (f.pipe.space) m |= POLLOUT | POLLWRNORM;
      if (!f.pipe.readers) m |= POLLERR;
    }
    return m;
  }
  return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
}

function doPoll(c: SysCtx, ptr: number, nfds: number, wait: boolean): SysRet {
  if (nfds < 0 || nfds > MAX_FDS) return -Errno.EINVAL;
  const b = fromUser(c, ptr, nfds * 8);
  if (typeof b === 'number') return b;
  const t = c.t;
  const pass = (): SysRet => {
    const cc = { w: c.w, t };
    const out = b.slice();
    const dv = new DataView(out.buffer);
    let n = 0;
    for (let i = 0; i < nfds; i++) {
      const fd = dv.getInt32(i * 8, true);
      const events = dv.getUint16(i * 8 + 4, true);
      let rev = 0;
      if (fd >= 0) rev = fdMask(cc, fd) & (events | POLLERR | POLLHUP | POLLNVAL);
      dv.setUint16(i * 8 + 6, rev, true);
      if (rev) n++;
    }
    if (!n && wait) return BLOCK;
    const e = toUser(cc, ptr, out);
    return e || n;
  };
  return sleepOn(c, 'poll', pass);
}


export const socketPollSyscalls: Record<string, SysHandler> = {
  poll: (c, a) => doPoll(c, a[0], a[1] | 0, (a[2] | 0) !== 0),
  ppoll: (c, a) => {
    let wait = true;
    if (a[2]) {
      const ts = fromUser(c, a[2], 16);
      if (typeof ts === 'number') return ts;
      const dv = new DataView(ts.buffer, ts.byteOffset);
      wait = dv.getBigInt64(0, true) !== 0n || dv.getBigInt64(8, true) !== 0n;
    }
    return doPoll(c, a[0], a[1] | 0, wait);
  },
};
