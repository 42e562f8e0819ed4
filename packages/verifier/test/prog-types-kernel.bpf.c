// Programs of the socket and cgroup program types, built by clang for the differential test
// prog-types-kernel.test.ts (compiled at test time): each must get the kernel's verdict and final
// error line from bpfsim. The bad_* programs are refused by the kernel, on purpose.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
char LICENSE[] SEC("license") = "GPL";

SEC("sockops")
int ops(struct bpf_sock_ops *skops)
{
	int one = 1;
	switch (skops->op) {
	case BPF_SOCK_OPS_TCP_CONNECT_CB:
		bpf_sock_ops_cb_flags_set(skops, BPF_SOCK_OPS_STATE_CB_FLAG);
		bpf_setsockopt(skops, 6 /* SOL_TCP */, 1 /* TCP_NODELAY */, &one, sizeof(one));
		break;
	case BPF_SOCK_OPS_STATE_CB: {
		struct bpf_sock *sk = skops->sk;
		if (sk && sk->family == 2)
			skops->reply = sk->dst_port;
		break;
	}
	}
	skops->reply = skops->remote_port + skops->srtt_us;
	return 1;
}

SEC("sockops")
int ops_pkt(struct bpf_sock_ops *skops)
{
	void *data = (void *)(long)skops->skb_data;
	void *end = (void *)(long)skops->skb_data_end;
	if (data + 20 > end)
		return 1;
	return ((unsigned char *)data)[13] & 2 ? 1 : 0;
}

SEC("sk_msg")
int msg(struct sk_msg_md *m)
{
	void *data, *end;
	if (bpf_msg_pull_data(m, 0, 16, 0))
		return SK_DROP;
	data = (void *)(long)m->data;
	end = (void *)(long)m->data_end;
	if (data + 4 > end)
		return SK_PASS;
	if (*(unsigned char *)data == 'X')
		bpf_msg_cork_bytes(m, 8);
	bpf_msg_apply_bytes(m, m->size);
	return m->remote_port == bpf_htonl(80) ? SK_DROP : SK_PASS;
}

SEC("sk_skb/stream_parser")
int parser(struct __sk_buff *skb)
{
	return skb->len;
}

SEC("sk_skb/stream_verdict")
int verdict(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	if (data + 1 > end)
		return SK_DROP;
	*(unsigned char *)data = 'a';
	skb->priority = 3;
	return skb->local_port == 8080 ? SK_PASS : SK_DROP;
}

SEC("cgroup/connect6")
int c6(struct bpf_sock_addr *ctx)
{
	if (ctx->user_port != bpf_htons(53))
		return 1;
	ctx->user_ip6[0] = bpf_htonl(0xfd000000);
	ctx->user_ip6[3] = bpf_htonl(1);
	ctx->user_port = bpf_htons(5353);
	struct bpf_sock *sk = ctx->sk;
	return sk->protocol == 17;
}

SEC("cgroup/sendmsg4")
int s4(struct bpf_sock_addr *ctx)
{
	ctx->msg_src_ip4 = bpf_htonl(0x7f000001);
	return 1;
}

SEC("cgroup/recvmsg4")
int r4(struct bpf_sock_addr *ctx)
{
	ctx->user_ip4 = bpf_htonl(0x0a000001);
	return 1;
}

SEC("cgroup/bind4")
int b4(struct bpf_sock_addr *ctx)
{
	return ctx->user_port == 0 ? 3 : 1;
}

SEC("cgroup/post_bind4")
int pb4(struct bpf_sock *sk)
{
	return sk->src_port != 22 || sk->src_ip4 == bpf_htonl(0x7f000001);
}

SEC("cgroup/sock_create")
int create(struct bpf_sock *sk)
{
	sk->mark = 42;
	sk->priority = sk->protocol;
	return 1;
}

SEC("cgroup/sysctl")
int sys(struct bpf_sysctl *ctx)
{
	char buf[16] = {};
	unsigned long v = 0;
	int n = bpf_sysctl_get_current_value(ctx, buf, sizeof(buf));
	if (n < 0)
		return 1;
	if (bpf_strtoul(buf, sizeof(buf), 0, &v) < 0)
		return 1;
	return v < 100;
}

SEC("cgroup/dev")
int dev(struct bpf_cgroup_dev_ctx *ctx)
{
	return (ctx->access_type >> 16) & BPF_DEVCG_ACC_READ ? 1 : 0;
}

SEC("cgroup/sock_create")
int bad_create(struct bpf_sock *sk)
{
	return sk->src_port;
}

SEC("cgroup/recvmsg6")
int bad_recv(struct bpf_sock_addr *ctx)
{
	return 0;
}
