/**
 * bpf(2) made by a simulated process: the attr, key and value come from its user memory. The
 * expected results are what Linux 6.18.44 returned on the recording machine for the same calls
 * from a C program (a 4-entry hash of u32 → u64; run by hand, see the cases' names).
 */
import { BpfCmd, Errno } from '@bpfsim/uapi';
import { Kernel, type TaskStruct } from '../../src';

function setup() {
  const k = new Kernel({ seed: 'bpf-sys', cpus: 2 });
  const fd = k.bpf.mapCreate({ type: 1 /* HASH */, keySize: 4, valueSize: 8, maxEntries: 4 });
  expect(fd).toBeGreaterThanOrEqual(3);
  const init = k.world.init;
  const sh = k.syscall(init, 'fork').child!;
  k.syscall(sh, 'execve', ['/bin/sh', ['sh'], []]);
  // A buffer of the process's own: attr at +0, key at +64, value at +128, a big attr at +1024.
  const base = k.syscall(sh, 'mmap', [0, 8192, 3, 0x22, -1, 0]).ret;
  return { k, fd, sh, base };
}

function attr(fd: number, key: number, value: number, flags = 0): Uint8Array {
  const a = new Uint8Array(32);
  const dv = new DataView(a.buffer);
  dv.setUint32(0, fd, true);
  dv.setBigUint64(8, BigInt(key), true);
  dv.setBigUint64(16, BigInt(value), true);
  dv.setBigUint64(24, BigInt(flags), true);
  return a;
}

const u32 = (v: number) => new Uint8Array(new Uint32Array([v]).buffer);
const u64 = (v: bigint) => new Uint8Array(new BigUint64Array([v]).buffer);

test('map element commands from user memory return what Linux returns', () => {
  const { k, fd, sh, base } = setup();
  const mm = sh.mm!;
  const put = (off: number, b: Uint8Array) => mm.copyToUser(BigInt(base + off), b);
  const bpf = (cmd: number, a: Uint8Array | number, size = 32) => {
    if (typeof a !== 'number') put(0, a);
    return k.syscall(sh as TaskStruct, 'bpf', [cmd, typeof a === 'number' ? a : base, size]).ret;
  };
  const K = base + 64;
  const V = base + 128;
  put(64, u32(7));
  put(128, u64(42n));
  expect(bpf(BpfCmd.MAP_UPDATE_ELEM, attr(fd, K, V))).toBe(0);
  expect(bpf(BpfCmd.MAP_UPDATE_ELEM, attr(fd, K, V, 1 /* BPF_NOEXIST */))).toBe(-Errno.EEXIST);
  put(128, u64(0n));
  expect(bpf(BpfCmd.MAP_LOOKUP_ELEM, attr(fd, K, V))).toBe(0);
  expect(mm.copyFromUser(BigInt(V), 8)).toEqual(u64(42n));
  expect(bpf(BpfCmd.MAP_LOOKUP_ELEM, attr(fd, K, V, 1))).toBe(-Errno.EINVAL); // lookup_badflags
  expect(bpf(BpfCmd.MAP_LOOKUP_ELEM, attr(999, K, V))).toBe(-Errno.EBADF);
  expect(bpf(BpfCmd.MAP_LOOKUP_ELEM, attr(fd, 8, V))).toBe(-Errno.EFAULT); // key pointer unmapped
  expect(bpf(BpfCmd.MAP_LOOKUP_ELEM, attr(fd, K, 8))).toBe(-Errno.EFAULT); // value pointer unmapped
  // Bytes past the command's fields but inside the attr: EINVAL; past the attr the kernel knows: E2BIG.
  const big = new Uint8Array(4097);
  big.set(attr(fd, K, V));
  big[40] = 1;
  put(1024, big.subarray(0, 64));
  expect(bpf(BpfCmd.MAP_LOOKUP_ELEM, base + 1024, 64)).toBe(-Errno.EINVAL);
  big[40] = 0;
  big[200] = 1;
  put(1024, big.subarray(0, 256));
  expect(bpf(BpfCmd.MAP_LOOKUP_ELEM, base + 1024, 256)).toBe(-Errno.E2BIG);
  big[200] = 0;
  put(1024, big);
  expect(bpf(BpfCmd.MAP_LOOKUP_ELEM, base + 1024, 4097)).toBe(-Errno.E2BIG);
  expect(bpf(BpfCmd.MAP_LOOKUP_ELEM, base + 1024, 200)).toBe(0);
  expect(bpf(BpfCmd.MAP_LOOKUP_ELEM, 8, 32)).toBe(-Errno.EFAULT); // the attr itself unmapped
  // Delete takes no value: a value pointer left in the attr is EINVAL, as on Linux.
  expect(bpf(BpfCmd.MAP_DELETE_ELEM, attr(fd, K, V))).toBe(-Errno.EINVAL);
  expect(bpf(BpfCmd.MAP_GET_NEXT_KEY, attr(fd, 0, V))).toBe(0);
  expect(mm.copyFromUser(BigInt(V), 4)).toEqual(u32(7));
  expect(bpf(BpfCmd.MAP_DELETE_ELEM, attr(fd, K, 0))).toBe(0);
  expect(bpf(BpfCmd.MAP_DELETE_ELEM, attr(fd, K, 0))).toBe(-Errno.ENOENT);
});

test('a command not decoded from user memory is a typed error, not a made-up result', () => {
  const { k, sh, base } = setup();
  expect(() => k.syscall(sh, 'bpf', [BpfCmd.PROG_LOAD, base, 32])).toThrow(/bpf\(5\): this command is not modelled from user memory yet/);
});
