// A source-address firewall on a longest-prefix-match trie: user space
// inserts IPv4 prefixes with a verdict, and the most specific prefix that
// contains a packet's source address decides. Packets no rule covers pass.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct ipv4_lpm_key {
	__u32 prefixlen; /* bits of addr that matter, host order */
	__u32 addr;      /* network order, as in the IP header */
};

#define RULE_ALLOW 0
#define RULE_DENY  1

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* the kernel requires it for LPM tries */
	__uint(max_entries, 256);
	__type(key, struct ipv4_lpm_key);
	__type(value, __u32); /* RULE_ALLOW or RULE_DENY */
} rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 3); /* 0: no rule, 1: allowed by a rule, 2: denied */
	__type(key, __u32);
	__type(value, __u64);
} verdicts SEC(".maps");

static __always_inline int count(__u32 slot, int verdict)
{
	__u64 *c = bpf_map_lookup_elem(&verdicts, &slot);
	if (c)
		__sync_fetch_and_add(c, 1);
	return verdict;
}

SEC("xdp")
int xdp_lpm_firewall(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;

	/* a lookup key is a full /32: the trie finds the longest stored prefix of it */
	struct ipv4_lpm_key key = { .prefixlen = 32, .addr = ip->saddr };
	__u32 *rule = bpf_map_lookup_elem(&rules, &key);
	if (!rule)
		return count(0, XDP_PASS);
	if (*rule == RULE_DENY)
		return count(2, XDP_DROP);
	return count(1, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
