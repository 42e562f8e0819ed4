/**
 * Task local storage helpers. A task is named by its task_struct pointer; the
 * task model has one task so far (current), whose storage owner id is its pid
 * (the process layer will give every task one). Other pointers have no storage.
 */
import { BpfMapType, Errno } from '@bpfsim/uapi';
import type { LocalStorageMap } from '../maps/map';
import { mapAt } from './mem';
import { neg, type HelperArea, type RunEnv } from './types';

const BPF_LOCAL_STORAGE_GET_F_CREATE = 1n;

function storageOf(map: ReturnType<typeof mapAt>): LocalStorageMap {
  if (map.type !== BpfMapType.TASK_STORAGE) throw new TypeError(`task storage helper on map ${map.name || map.id} of type ${map.type}`);
  return map as LocalStorageMap;
}

/** The storage owner of a task pointer, or undefined for an unknown task. */
function taskOwner(env: RunEnv, task: bigint): bigint | undefined {
  return task !== 0n && task === env.kernel.current.taskAddr ? BigInt(env.kernel.current.pid) : undefined;
}

export const storageHelpers: HelperArea = {
  bpf_task_storage_get(env, call, m, task, value, flags) {
    const map = storageOf(mapAt(call.mem, m));
    if (flags & ~BPF_LOCAL_STORAGE_GET_F_CREATE) return 0n;
    const owner = taskOwner(env, task);
    if (owner === undefined) return 0n;
    const init = value !== 0n ? call.mem.read(value, map.valueSize) : undefined;
    return map.storageGet(owner, env.cpu, (flags & BPF_LOCAL_STORAGE_GET_F_CREATE) !== 0n, init);
  },
  bpf_task_storage_delete(env, call, m, task) {
    const map = storageOf(mapAt(call.mem, m));
    const owner = taskOwner(env, task);
    if (owner === undefined) return neg(Errno.ENOENT);
    const r = map.storageDelete(owner);
    return r < 0 ? neg(-r) : 0n;
  },
};
