/**
 * NF_HOOK for the IPv4 stack: ask the namespace's netfilter (net/netfilter_hooks.ts)
 * and trace a refusal; a namespace without netfilter accepts. REJECT answers
 * as ipt_REJECT does (nf_send_unreach / nf_send_reset) and the packet is dropped.
 */
import type { NetNs } from '../netns';
import type { NfHookIo, NfHookName, NfRejectWith, NfVerdict } from '../netfilter_hooks';
import type { NetSkb } from '../skbuff';
import type { NetDevice } from '../netdevice';
import { tracePacket } from '../trace';
import { icmpSend, ICMP_DEST_UNREACH } from './icmp';
import { tcpSendResetFor } from './tcp_output';

export function nfHook(ns: NetNs, hook: NfHookName, skb: NetSkb, io: NfHookIo): NfVerdict {
  const nf = ns.netfilter;
  if (!nf) return 'ACCEPT';
  ns.network.charge(ns.network.costs.netfilterHook);
  const v = nf.hook(hook, skb, io);
  if (v !== 'ACCEPT') {
    const dev = io.indev ?? io.outdev;
    tracePacket(ns.network.kernel, ns.name, dev?.name ?? '', dev?.ifindex ?? 0, 'drop', `netfilter_${hook.toLowerCase()}${v === 'DROP' ? '' : `_reject_${v.reject}`}`, skb.data);
  }
  return v;
}

const UNREACH_CODE: Partial<Record<NfRejectWith, number>> = {
  'icmp-net-unreachable': 0, 'icmp-host-unreachable': 1, 'icmp-proto-unreachable': 2, 'icmp-port-unreachable': 3,
  'icmp-net-prohibited': 9, 'icmp-host-prohibited': 10, 'icmp-admin-prohibited': 13,
};

export function nfReject(ns: NetNs, skb: NetSkb, how: NfRejectWith, indev: NetDevice | undefined): void {
  const ip = skb.data.subarray(skb.nh ?? 0);
  if (how === 'tcp-reset') {
    tcpSendResetFor(ns, ip);
    return;
  }
  icmpSend(ns, ip, ICMP_DEST_UNREACH, UNREACH_CODE[how] ?? 3, 0, indev);
}
