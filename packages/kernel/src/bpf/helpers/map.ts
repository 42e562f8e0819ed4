/** Map helpers: the program side of every map type (storage is the map's; the CPU is the run's). */
import { Errno } from '@bpfsim/uapi';
import { hex } from '../../kernel/trace';
import { mapAt } from './mem';
import { neg, type HelperArea, type RunEnv } from './types';
import type { BpfMap } from '../maps/map';

const r0 = (res: number): bigint => (res < 0 ? neg(-res) : BigInt(res));

function recordUpdate(env: RunEnv, map: BpfMap, op: 'update' | 'delete', key: Uint8Array, value: Uint8Array, result: number): void {
  env.kernel.trace.emit({
    kind: 'map_update', t: env.kernel.clock.monotonicNs.toString(), cpu: env.cpu, map: map.name || `map#${map.id}`,
    op, key: hex(key), value: hex(value), result,
  });
}

export const mapHelpers: HelperArea = {
  bpf_map_lookup_elem(env, call, m, k) {
    const map = mapAt(call.mem, m);
    return map.lookupAddr(call.mem.read(k, map.keySize), env.cpu);
  },
  bpf_map_update_elem(env, call, m, k, v, flags) {
    const map = mapAt(call.mem, m);
    const key = call.mem.read(k, map.keySize);
    const value = call.mem.read(v, map.valueSize);
    const res = map.updateFromProg(key, value, Number(flags & 0xffffffffn), env.cpu);
    recordUpdate(env, map, 'update', key, value, res);
    return r0(res);
  },
  bpf_map_delete_elem(env, call, m, k) {
    const map = mapAt(call.mem, m);
    const key = call.mem.read(k, map.keySize);
    const res = map.deleteFromProg(key, env.cpu);
    recordUpdate(env, map, 'delete', key, new Uint8Array(0), res);
    return r0(res);
  },
  bpf_map_push_elem(_env, call, m, v, flags) {
    const map = mapAt(call.mem, m);
    return r0(map.pushElem(call.mem.read(v, map.valueSize), Number(flags & 0xffffffffn)));
  },
  bpf_map_pop_elem(_env, call, m, v) {
    const map = mapAt(call.mem, m);
    const out = new Uint8Array(map.valueSize);
    const res = map.popElem(out);
    // The kernel writes the value only on success (the verifier marks it uninit otherwise).
    if (res === 0) call.mem.write(v, out);
    return r0(res);
  },
  bpf_map_peek_elem(_env, call, m, v) {
    const map = mapAt(call.mem, m);
    const buf = call.mem.read(v, map.valueSize);
    const res = map.peekElem(buf);
    if (res === 0) call.mem.write(v, buf);
    return r0(res);
  },
  bpf_map_lookup_percpu_elem(_env, call, m, k, cpu) {
    const map = mapAt(call.mem, m);
    const c = Number(cpu & 0xffffffffn);
    if (c >= _env.kernel.sched.cpus) return 0n;
    return map.lookupAddr(call.mem.read(k, map.keySize), c);
  },
  bpf_for_each_map_elem(env, call, m, fn, cbCtx, flags) {
    if (flags !== 0n) return neg(Errno.EINVAL);
    const map = mapAt(call.mem, m);
    const res = map.forEachElem(env.cpu, (keyAddr, valueAddr) => call.callback(Number(fn), [m, keyAddr, valueAddr, cbCtx, 0n]) !== 0n);
    return r0(res);
  },
};
