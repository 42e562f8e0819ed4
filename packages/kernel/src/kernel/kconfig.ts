/**
 * The simulated kernel's configuration as `.kconfig` externs see it: what
 * libbpf fills in from /proc/config.gz and uname (LINUX_KERNEL_VERSION) and
 * from probing the kernel (LINUX_HAS_SYSCALL_WRAPPER, LINUX_HAS_BPF_COOKIE).
 */
import { kernelVersionCode, type KconfigValue } from '@bpfsim/loader';

/** The release the simulated kernel reports (the kernel these machines run is 6.18). */
export const DEFAULT_RELEASE = '6.18.0';

export function defaultKconfig(release = DEFAULT_RELEASE): Record<string, KconfigValue> {
  return {
    LINUX_KERNEL_VERSION: kernelVersionCode(release),
    // x86-64 syscalls go through pt_regs wrappers (since 4.17); BPF cookies exist since 5.15.
    LINUX_HAS_SYSCALL_WRAPPER: true,
    LINUX_HAS_BPF_COOKIE: true,
    CONFIG_BPF: 'y',
    CONFIG_BPF_SYSCALL: 'y',
    CONFIG_BPF_JIT: 'y',
    CONFIG_BPF_EVENTS: 'y',
    CONFIG_HZ: 1000,
    CONFIG_SMP: 'y',
    CONFIG_X86_64: 'y',
  };
}
