// Lesson 4: a socket filter decides how much of each packet a socket
// receives by its return value: 0 drops it, a number keeps that many bytes
// (truncates), the packet's length or more keeps all of it.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* packets seen, by IP protocol number */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

SEC("socket")
int filter(struct __sk_buff *skb)
{
	__u8 ipproto;

	/* The packet starts at the network header here (as on a UDP or TCP
	 * socket, and in BPF_PROG_TEST_RUN); skb->protocol says what it is. */
	if (skb->protocol != bpf_htons(ETH_P_IP))
		return skb->len; /* not IPv4: observe only, keep it all */
	/* no direct packet pointers in a socket filter: copy bytes out */
	if (bpf_skb_load_bytes(skb, 9, &ipproto, 1) < 0)
		return 0;

	__u32 key = ipproto;
	__u64 *n = bpf_map_lookup_elem(&seen, &key);
	if (n)
		__sync_fetch_and_add(n, 1);

	if (ipproto == IPPROTO_ICMP)
		return 0;  /* drop */
	if (ipproto == IPPROTO_UDP)
		return 20 + 8; /* truncate: IP and UDP headers only */
	return skb->len; /* keep */
}

/* A socket filter may read packets, never change them: the verifier
 * refuses this program because the helper is not allowed here. */
SEC("socket")
int rewrite(struct __sk_buff *skb)
{
	__u8 ttl = 1;

	bpf_skb_store_bytes(skb, 8, &ttl, 1, 0);
	return skb->len;
}

char LICENSE[] SEC("license") = "GPL";
