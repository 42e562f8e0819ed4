// cgroup socket hooks: forbid raw sockets, redirect connect() to port 80 to 8080,
// refuse writes to net.* sysctls, and allow only /dev/null among char devices.
#include <linux/bpf.h>
#include <linux/in.h>

#define SOCK_RAW 3	/* from <linux/net.h> enum sock_type; libc headers are not for -target bpf */
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

SEC("cgroup/sock_create")
int sock_no_raw(struct bpf_sock *sk)
{
	return sk->type == SOCK_RAW ? 0 : 1;
}

SEC("cgroup/connect4")
int connect_redirect(struct bpf_sock_addr *ctx)
{
	if (ctx->user_port == bpf_htons(80))
		ctx->user_port = bpf_htons(8080);
	return 1;
}

SEC("cgroup/sysctl")
int sysctl_ro_net(struct bpf_sysctl *ctx)
{
	char name[8] = {};

	if (!ctx->write)
		return 1;
	bpf_sysctl_get_name(ctx, name, sizeof(name), 0);
	return name[0] == 'n' && name[1] == 'e' && name[2] == 't' ? 0 : 1;
}

SEC("cgroup/dev")
int dev_only_null(struct bpf_cgroup_dev_ctx *ctx)
{
	short type = ctx->access_type & 0xffff;

	if (type != BPF_DEVCG_DEV_CHAR)
		return 1;
	return ctx->major == 1 && ctx->minor == 3;
}
