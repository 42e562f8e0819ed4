/**
 * Virtual time each stage of the packet path charges, in ns per packet
 * (first estimates; sources in docs/cost-model.md). Program runs charge their
 * own instructions (kernel.nsPerInsn) on top. Configurable per Network.
 */
export interface NetCosts {
  /** veth_xmit + netif_rx + backlog dequeue: the peer's receive. */
  vethXmit: number;
  /** __netif_receive_skb_core bookkeeping before any hook. */
  netifReceive: number;
  /** do_xdp_generic around the program (xdp_buff set-up, skb fix-up after). */
  xdpGeneric: number;
  /** sch_handle_ingress / sch_handle_egress around the filters. */
  tcHook: number;
  /** dev_queue_xmit through the clsact qdisc to the driver. */
  devQueueXmit: number;
  /** A redirect (skb_do_redirect, xdp_do_generic_redirect). */
  redirect: number;
  /** Handing the packet to the stack (ip_rcv / arp_rcv dispatch). */
  deliver: number;
  /** ip_rcv_core's checks and the input route (ip_route_input_noref). */
  ipRcv: number;
  /** An output route lookup (ip_route_output_key) for a packet the host sends. */
  routing: number;
  /** Calling netfilter at one hook (the rules it evaluates charge their own cost there). */
  netfilterHook: number;
  /** Socket demux and queueing (udp_rcv / tcp_v4_rcv up to the receive queue). */
  sockDeliver: number;
  /** Building the skb for a received frame (napi_build_skb, eth_type_trans): what native XDP saves. */
  skbAlloc: number;
  /** A native (driver) XDP hook around the program: the xdp_buff on the driver's own page. */
  xdpNative: number;
}

export const DEFAULT_NET_COSTS: Readonly<NetCosts> = {
  vethXmit: 120,
  netifReceive: 60,
  xdpGeneric: 40,
  tcHook: 25,
  devQueueXmit: 80,
  redirect: 40,
  deliver: 30,
  ipRcv: 40,
  routing: 30,
  netfilterHook: 20,
  sockDeliver: 60,
  skbAlloc: 60,
  xdpNative: 15,
};
