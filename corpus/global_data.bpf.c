// Global data: configuration in .rodata (set before load), state in .data and .bss,
// a named .data.stats section and a .rodata.str1.1-free custom .rodata.cfg.
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 target_tgid = 0;		/* .rodata */
const volatile bool verbose = false;		/* .rodata */
const volatile char prefix[8] SEC(".rodata.cfg") = "bpfsim";

__u64 calls = 0;				/* .bss */
__u64 matched = 0;				/* .bss */
int last_pid = -1;				/* .data */
__u64 stats[4] SEC(".data.stats") = { 1, 2, 3, 4 };

SEC("kprobe/do_nanosleep")
int rodata_config(struct pt_regs *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	__sync_fetch_and_add(&calls, 1);
	if (target_tgid && tgid != target_tgid)
		return 0;
	__sync_fetch_and_add(&matched, 1);
	last_pid = tgid;
	stats[tgid & 3]++;
	if (verbose)
		bpf_printk("%s: nanosleep by %d", prefix, tgid);
	return 0;
}
