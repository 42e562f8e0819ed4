/**
 * getrandom (drivers/char/random.c). The bytes come from the world's entropy
 * source: pinned bytes first (strace replay pins what the recorded kernel
 * returned), else the seeded "getrandom" stream.
 */
import { Errno } from '@bpfsim/uapi';
import { toUser, type SysHandler } from './context';

const GRND = { NONBLOCK: 0x1, RANDOM: 0x2, INSECURE: 0x4 } as const;
/** A single call returns at most MAX_RW_COUNT bytes. */
const MAX_RW_COUNT = 0x7fff_f000;
/** CHACHA_BLOCK_SIZE: the unit get_random_bytes_user copies out. */
const CHUNK = 64;

export const randomSyscalls: Record<string, SysHandler> = {
  getrandom: (c, a) => {
    const [buf, len, flags] = a;
    if (flags & ~(GRND.NONBLOCK | GRND.RANDOM | GRND.INSECURE)) return -Errno.EINVAL;
    if ((flags & (GRND.INSECURE | GRND.RANDOM)) === (GRND.INSECURE | GRND.RANDOM)) return -Errno.EINVAL;
    const n = Math.min(len >>> 0, MAX_RW_COUNT);
    // get_random_bytes_user copies in blocks: a fault ends the call with what was copied (EFAULT if nothing).
    let done = 0;
    while (done < n) {
      const k = Math.min(CHUNK, n - done);
      if (toUser(c, buf + done, c.w.entropy(k))) return done || -Errno.EFAULT;
      done += k;
    }
    return done;
  },
};
