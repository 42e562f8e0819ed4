/** Clock helpers: all read the kernel's virtual clock. */
import type { HelperArea } from './types';

export const timeHelpers: HelperArea = {
  bpf_ktime_get_ns: (env) => env.kernel.clock.monotonicNs,
  bpf_ktime_get_boot_ns: (env) => env.kernel.clock.boottimeNs,
  bpf_ktime_get_coarse_ns: (env) => env.kernel.clock.coarseNs,
  bpf_ktime_get_tai_ns: (env) => env.kernel.clock.taiNs,
  bpf_jiffies64: (env) => env.kernel.clock.jiffies,
};
