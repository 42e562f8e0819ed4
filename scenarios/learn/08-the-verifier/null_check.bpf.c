// Rejection 2: using a map lookup's result without checking it for NULL.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

SEC("xdp")
int unchecked(struct xdp_md *ctx)
{
	__u32 key = ctx->ingress_ifindex;
	__u64 *n = bpf_map_lookup_elem(&counts, &key);

	*n += 1; /* the key may be absent: n may be NULL, refused */
	return XDP_PASS;
}

SEC("xdp")
int checked(struct xdp_md *ctx)
{
	__u32 key = ctx->ingress_ifindex;
	__u64 *n = bpf_map_lookup_elem(&counts, &key);

	if (n) /* the fix */
		*n += 1;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
