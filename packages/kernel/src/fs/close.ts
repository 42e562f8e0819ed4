/**
 * What happens when the last descriptor of an open file goes (__fput): a pipe
 * end drops its reader or writer count and sleepers re-check.
 */
import type { File } from './file';
import type { World } from '../kernel/world';

export function onLastClose(w: World): (f: File) => void {
  return (f) => {
    if (f.ops?.release) {
      f.ops.release();
      w.wake();
      return;
    }
    if (!f.pipe) return;
    if (f.readable) f.pipe.readers--;
    if (f.writable) f.pipe.writers--;
    w.wake();
  };
}
