// Redirect through a devmap: every IPv4 frame arriving on the router's
// veth1 leaves through the device in slot 0 of tx_port (veth2, towards
// namespace c); the rest goes on to the stack. The map is filled from user
// space with the target's ifindex, as xdp_redirect_map in the kernel's
// samples does.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} tx_port SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} redirected SEC(".maps");

SEC("xdp")
int xdp_redirect_map_prog(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	__u32 key = 0;
	__u64 *n = bpf_map_lookup_elem(&redirected, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	/* XDP_PASS when slot 0 is empty (the flags' low bits are the fallback action) */
	return bpf_redirect_map(&tx_port, 0, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
