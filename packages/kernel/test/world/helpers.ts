/** Helpers for the world tests: a kernel, and processes made the way a shell makes them. */
import { Kernel, type KernelOptions, type TaskStruct } from '../../src';

export function newKernel(opts: KernelOptions = {}): Kernel {
  return new Kernel({ seed: 'world', cpus: 2, ...opts });
}

/** fork from `parent` (default init) and execve `path`: the new process. */
export function spawn(k: Kernel, path = '/bin/sh', argv: string[] = [path.slice(path.lastIndexOf('/') + 1)], parent?: TaskStruct, envp: string[] = ['PATH=/bin']): TaskStruct {
  const p = parent ?? k.world.init;
  const r = k.syscall(p, 'fork');
  if (r.ret < 0 || !r.child) throw new Error(`fork failed: ${r.ret}`);
  const e = k.syscall(r.child, 'execve', [path, argv, envp]);
  if (e.ret !== 0) throw new Error(`execve ${path} failed: ${e.ret}`);
  return r.child;
}

export const le32 = (b: Uint8Array): number => new DataView(b.buffer, b.byteOffset).getInt32(0, true);
export const cstring = (b: Uint8Array): string => new TextDecoder().decode(b.subarray(0, b.indexOf(0) < 0 ? b.length : b.indexOf(0)));
