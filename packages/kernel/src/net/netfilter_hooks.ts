/**
 * The interface between the IP stack and netfilter (include/linux/netfilter.h's
 * NF_HOOK): the stack calls `ns.netfilter?.hook(...)` at the five IPv4 hook points
 * and acts on the verdict; a namespace without netfilter accepts everything.
 * The implementation (tables, chains, rules) lives in net/netfilter/.
 *
 * At every hook `skb.data.subarray(skb.nh)` starts with the IPv4 header (skb.nh is the
 * network header's offset: 14 after an Ethernet header on receive, 0 for a packet the
 * host is sending before its link header is added).
 */
import type { NetDevice } from './netdevice';
import type { NetSkb } from './skbuff';

export type NfHookName = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';

/** REJECT's --reject-with answers (ipt_REJECT). */
export type NfRejectWith =
  | 'icmp-net-unreachable' | 'icmp-host-unreachable' | 'icmp-port-unreachable' | 'icmp-proto-unreachable'
  | 'icmp-net-prohibited' | 'icmp-host-prohibited' | 'icmp-admin-prohibited' | 'tcp-reset';

export type NfVerdict = 'ACCEPT' | 'DROP' | { reject: NfRejectWith };

export interface NfHookIo {
  indev?: NetDevice;
  outdev?: NetDevice;
}

export interface NetfilterHooks {
  hook(hook: NfHookName, skb: NetSkb, io: NfHookIo): NfVerdict;
}
