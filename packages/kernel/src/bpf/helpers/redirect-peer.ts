/**
 * bpf_redirect_peer (net/core/filter.c): a tc ingress program sends the packet
 * to the peer of a veth (or netkit) device, entering the peer's namespace
 * without a backlog round. Flags must be 0 (else TC_ACT_SHOT); the target is
 * checked when the path acts on the redirect (net/dev.ts), as skb_do_redirect does.
 */
import { recordRedirect } from './packet';
import type { HelperArea } from './types';

const TC_ACT_SHOT = 2n, TC_ACT_REDIRECT = 7n;

export const redirectPeerHelpers: HelperArea = {
  bpf_redirect_peer(env, _call, ifindex, flags) {
    if (flags) return TC_ACT_SHOT;
    recordRedirect(env, 'bpf_redirect_peer', `ifindex:${ifindex & 0xffffffffn}`, flags);
    return TC_ACT_REDIRECT;
  },
};
