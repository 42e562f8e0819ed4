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
  /** Handing the packet to the stack queue (the socket layer comes later). */
  deliver: number;
}

export const DEFAULT_NET_COSTS: Readonly<NetCosts> = {
  vethXmit: 120,
  netifReceive: 60,
  xdpGeneric: 40,
  tcHook: 25,
  devQueueXmit: 80,
  redirect: 40,
  deliver: 30,
};
