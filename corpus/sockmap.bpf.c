// sockmap: redirect stream data between sockets, sk_msg verdicts and a sockops counter.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} sock_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} sock_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} ops_seen SEC(".maps");

SEC("sk_skb/stream_parser")
int skb_parser(struct __sk_buff *skb)
{
	return skb->len;
}

SEC("sk_skb/stream_verdict")
int skb_verdict(struct __sk_buff *skb)
{
	return bpf_sk_redirect_map(skb, &sock_map, skb->local_port & 63, 0);
}

SEC("sk_msg")
int msg_verdict(struct sk_msg_md *msg)
{
	__u32 key = msg->remote_port & 63;

	return bpf_msg_redirect_hash(msg, &sock_hash, &key, BPF_F_INGRESS);
}

SEC("sockops")
int sockops_count(struct bpf_sock_ops *ops)
{
	__u32 op = ops->op & 15;
	__u64 *n = bpf_map_lookup_elem(&ops_seen, &op);

	if (n)
		__sync_fetch_and_add(n, 1);
	return 1;
}
