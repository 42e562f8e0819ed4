/** The "current task" helpers, over the current task (a kernel/task.ts Task: a record, or a TaskStruct of the world). */
import { Errno } from '@bpfsim/uapi';
import { commBytes, type Task } from '../../kernel/task';
import { neg, type HelperArea } from './types';

/** A world task's task_struct object, rewritten from the model first (trace/task-objects.ts); a plain record's address otherwise. */
function currentTaskAddr(t: Task & { syncedTaskAddr?: () => bigint }): bigint {
  return t.syncedTaskAddr ? t.syncedTaskAddr() : t.taskAddr;
}

export const taskHelpers: HelperArea = {
  bpf_get_current_pid_tgid(env) {
    const t = env.kernel.current;
    return (BigInt(t.tgid >>> 0) << 32n) | BigInt(t.pid >>> 0);
  },
  bpf_get_current_uid_gid(env) {
    const t = env.kernel.current;
    return (BigInt(t.gid >>> 0) << 32n) | BigInt(t.uid >>> 0);
  },
  bpf_get_current_comm(env, call, buf, size) {
    const n = Number(size);
    const comm = commBytes(env.kernel.current.comm);
    // strscpy_pad: at most size-1 bytes of the name, NUL-padded to size.
    const out = new Uint8Array(n);
    const len = Math.min(comm.indexOf(0) < 0 ? 16 : comm.indexOf(0), Math.max(n - 1, 0));
    out.set(comm.subarray(0, len));
    call.mem.write(buf, out);
    return 0n;
  },
  bpf_get_current_task: (env) => currentTaskAddr(env.kernel.current),
  bpf_get_current_task_btf: (env) => currentTaskAddr(env.kernel.current),
  bpf_get_current_cgroup_id: (env) => env.kernel.current.cgroupId,
  bpf_get_current_ancestor_cgroup_id(env, _call, level) {
    const a = env.kernel.current.cgroupAncestors;
    const l = Number(BigInt.asIntN(64, level));
    return l >= 0 && l < a.length ? a[l] : 0n;
  },
  bpf_get_ns_current_pid_tgid(env, call, dev, ino, nsdata, size) {
    // struct bpf_pidns_info { u32 pid; u32 tgid; }
    if (size !== 8n) return neg(Errno.EINVAL);
    const fail = (e: number): bigint => {
      call.mem.write(nsdata, new Uint8Array(8));
      return neg(e);
    };
    // The kernel compares dev with new_encode_dev() of the u64 it is given: a dev that does not fit 32 bits is EINVAL.
    if (dev >> 32n !== 0n) return fail(Errno.EINVAL);
    // Only the task's own (innermost) pid namespace matches: task_active_pid_ns; a mismatch is EINVAL.
    const all = env.kernel.current.pidNs;
    const ns = all[all.length - 1];
    if (!ns) return fail(Errno.ENOENT);
    if (ns.dev !== dev || ns.ino !== ino) return fail(Errno.EINVAL);
    const out = new Uint8Array(8);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, ns.pid, true);
    dv.setUint32(4, ns.tgid, true);
    call.mem.write(nsdata, out);
    return 0n;
  },
  bpf_get_smp_processor_id: (env) => BigInt(env.cpu),
  bpf_get_numa_node_id: () => 0n,
  bpf_get_prandom_u32: (env) => BigInt(env.kernel.rng.stream('prandom').u32()),
  bpf_get_func_ip: (env) => env.funcIp,
  bpf_get_attach_cookie: (env) => env.attachCookie,
};
