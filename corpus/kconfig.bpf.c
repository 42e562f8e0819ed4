// .kconfig externs: values filled by the loader from the (simulated) kernel's config.
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern bool CONFIG_BPF_SYSCALL __kconfig;
extern int CONFIG_HZ __kconfig __weak;
extern bool CONFIG_BPFSIM_NOT_A_REAL_OPTION __kconfig __weak;

__u64 seen_version = 0;
__u64 seen_hz = 0;

SEC("tracepoint/syscalls/sys_enter_uname")
int kconfig_read(void *ctx)
{
	seen_version = LINUX_KERNEL_VERSION;
	seen_hz = CONFIG_HZ;
	if (CONFIG_BPF_SYSCALL && !CONFIG_BPFSIM_NOT_A_REAL_OPTION)
		bpf_printk("kernel %x, HZ %d", LINUX_KERNEL_VERSION, CONFIG_HZ);
	return 0;
}
