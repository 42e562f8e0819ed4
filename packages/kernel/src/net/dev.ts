/**
 * The receive and transmit paths of net/core/dev.c, in the kernel's order.
 *
 * Receive (__netif_receive_skb_core): count, XDP (do_xdp_generic; a veth's
 * native hook runs at the same point in this model), VLAN untag, the packet
 * taps, tc ingress (sch_handle_ingress), then the stack: the packet is recorded
 * on the device's `delivered` list and handed to IPv4 (ipv4/ip_input.ts) or ARP.
 * Transmit (__dev_queue_xmit): tc egress (sch_handle_egress), the taps, then
 * the driver (veth: the peer receives; loopback: itself).
 */
import { BpfMapType } from '@bpfsim/uapi';
import type { BpfMap, RedirectMap } from '../bpf/maps/map';
import type { BpfProg } from '../bpf/prog';
import { TC_ACT_NAMES, TC_ACT_REDIRECT, TC_ACT_SHOT, TC_ACT_STOLEN, TC_ACT_TRAP } from './cls_bpf';
import type { NetDevice } from './netdevice';
import type { Network } from './network';
import { BPF_F_BROADCAST, BPF_F_EXCLUDE_INGRESS, BPF_F_INGRESS, clearRedirect, takeRedirect } from './redirect';
import { runTcChain } from './sch_clsact';
import { cloneSkb, ETH_HLEN, ethTypeTrans, PACKET_HOST, vlanUntag, withVlanTag, type NetSkb } from './skbuff';
import { ipRcv } from './ipv4/ip_input';
import { arpRcv } from './ipv4/arp';
import { tracePacket, traceTracepoint } from './trace';
import { runXdpOnSkb, XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_REDIRECT, XDP_TX, xdpActName } from './xdp';

const EINVAL = 22, ENETDOWN = 100, EMSGSIZE = 90, EOPNOTSUPP = 95;
const VLAN_HLEN = 4;
/** XMIT_RECURSION_LIMIT: nested dev_queue_xmit calls (tc egress redirects) before the kernel drops. */
const XMIT_RECURSION_LIMIT = 8;
let xmitDepth = 0;

const trace = (net: Network, dev: NetDevice, event: Parameters<typeof tracePacket>[4], reason: string, data: Uint8Array): void =>
  tracePacket(net.kernel, dev.ns.name, dev.name, dev.ifindex, event, reason, data);

function drop(net: Network, dev: NetDevice, skb: NetSkb, reason: string, rx = true): void {
  if (rx) dev.stats.rxDropped++;
  else dev.stats.txDropped++;
  trace(net, dev, 'drop', reason, withVlanTag(skb));
}

/** netif_rx: the packet waits on the backlog for the receive path. */
export function netifRx(net: Network, dev: NetDevice, skb: NetSkb): void {
  net.enqueue(dev, skb);
}

/** __netif_receive_skb_core for one packet taken off the backlog. */
export function netifReceiveSkb(net: Network, dev: NetDevice, skb: NetSkb, anotherRound = false): void {
  const k = net.kernel;
  // Native XDP runs in the driver before any skb exists; everything else pays for the skb first.
  const native = dev.xdp?.mode === 'native' && !skb.redirected;
  if (!native) net.charge(net.costs.skbAlloc + net.costs.netifReceive);
  skb.iif = dev.ifindex;
  if (!anotherRound) {
    dev.stats.rxPackets++;
    dev.stats.rxBytes += skb.data.length;
    trace(net, dev, 'rx', '', skb.data);
  }
  // Reinjected packets (a tc redirect) skip generic XDP, as netif_receive_generic_xdp does.
  if (dev.xdp && !skb.redirected) {
    net.charge(native ? net.costs.xdpNative : net.costs.xdpGeneric);
    const prog = dev.xdp.prog;
    clearRedirect(k);
    net.packetNs = dev.ns;
    const act = runXdpOnSkb(k, prog, skb, dev.ifindex, `xdp:${dev.name}`);
    net.packetNs = undefined;
    trace(net, dev, 'xdp', xdpActName(act), skb.data);
    switch (act) {
      case XDP_PASS:
        if (native) net.charge(net.costs.skbAlloc + net.costs.netifReceive);
        break;
      case XDP_TX:
        skb.meta = new Uint8Array(0);
        xdpXmit(net, dev, dev, skb, prog, 'tx');
        return;
      case XDP_REDIRECT:
        skb.meta = new Uint8Array(0);
        xdpRedirect(net, dev, skb, prog);
        return;
      case XDP_DROP:
        drop(net, dev, skb, 'xdp_drop');
        return;
      default:
        // bpf_warn_invalid_xdp_action for unknown actions, then as XDP_ABORTED.
        traceTracepoint(k, 'xdp:xdp_exception', { progId: prog.id, act, ifindex: dev.ifindex });
        drop(net, dev, skb, act === XDP_ABORTED ? 'xdp_aborted' : 'xdp_invalid_action');
        return;
    }
  }
  if (!vlanUntag(skb)) {
    drop(net, dev, skb, 'vlan_untag');
    return;
  }
  dev.tap('in', withVlanTag(skb));
  if (!dev.tcIngress.empty) {
    net.charge(net.costs.tcHook);
    clearRedirect(k);
    net.packetNs = dev.ns;
    const r = runTcChain(k, dev.tcIngress, dev, skb, true);
    net.packetNs = undefined;
    trace(net, dev, 'tc_ingress', TC_ACT_NAMES[r.verdict] ?? String(r.verdict), withVlanTag(skb));
    switch (r.verdict) {
      case TC_ACT_SHOT:
        drop(net, dev, skb, 'tc_ingress');
        return;
      case TC_ACT_STOLEN: case TC_ACT_TRAP:
        trace(net, dev, 'drop', 'tc_stolen', withVlanTag(skb));
        return;
      case TC_ACT_REDIRECT:
        skbDoRedirect(net, dev, skb, r.prog!, true);
        return;
      default:
        break;
    }
  }
  net.charge(net.costs.deliver);
  const data = withVlanTag(skb);
  dev.delivered.push({ tsNs: k.clock.monotonicNs, data, mark: skb.mark, priority: skb.priority, vlan: skb.vlan, meta: skb.meta });
  trace(net, dev, 'deliver', '', data);
  stackRcv(dev, skb);
}

/** The protocol handlers (ptype_base): IPv4 and ARP; other EtherTypes have none (IPv6 is not modelled). */
function stackRcv(dev: NetDevice, skb: NetSkb): void {
  if (skb.data.length < ETH_HLEN) return;
  const { pktType, protocol } = ethTypeTrans(skb.data, dev.mac);
  skb.pktType = dev.kind === 'loopback' ? PACKET_HOST : pktType;
  skb.nh = ETH_HLEN;
  if (protocol === 0x0800) ipRcv(dev.ns, dev, skb);
  else if (protocol === 0x0806 && !skb.vlan) arpRcv(dev.ns, dev, skb);
}

/** __dev_queue_xmit: tc egress, the taps, the driver. */
export function devQueueXmit(net: Network, dev: NetDevice, skb: NetSkb): void {
  net.charge(net.costs.devQueueXmit);
  if (!dev.up) {
    drop(net, dev, skb, 'dev_down', false);
    return;
  }
  if (xmitDepth >= XMIT_RECURSION_LIMIT) {
    drop(net, dev, skb, 'xmit_recursion', false);
    return;
  }
  xmitDepth++;
  try {
    egressAndXmit(net, dev, skb);
  } finally {
    xmitDepth--;
  }
}

function egressAndXmit(net: Network, dev: NetDevice, skb: NetSkb): void {
  const k = net.kernel;
  if (!dev.tcEgress.empty) {
    net.charge(net.costs.tcHook);
    clearRedirect(k);
    net.packetNs = dev.ns;
    const r = runTcChain(k, dev.tcEgress, dev, skb, false);
    net.packetNs = undefined;
    trace(net, dev, 'tc_egress', TC_ACT_NAMES[r.verdict] ?? String(r.verdict), withVlanTag(skb));
    switch (r.verdict) {
      case TC_ACT_SHOT:
        drop(net, dev, skb, 'tc_egress', false);
        return;
      case TC_ACT_STOLEN: case TC_ACT_TRAP:
        trace(net, dev, 'drop', 'tc_stolen', withVlanTag(skb));
        return;
      case TC_ACT_REDIRECT:
        skbDoRedirect(net, dev, skb, r.prog!, false);
        return;
      default:
        break;
    }
  }
  dev.tap('out', withVlanTag(skb));
  driverXmit(net, dev, skb);
}

/** ndo_start_xmit. veth: veth_xmit hands the packet to the peer (dropped when the peer is down or it is too long). */
function driverXmit(net: Network, dev: NetDevice, skb: NetSkb): void {
  const data = withVlanTag(skb);
  dev.stats.txPackets++;
  dev.stats.txBytes += skb.data.length;
  trace(net, dev, 'tx', '', data);
  skb.meta = new Uint8Array(0);
  if (dev.kind === 'loopback') {
    netifRx(net, dev, skb);
    return;
  }
  const peer = dev.peer;
  net.charge(net.costs.vethXmit);
  // is_skb_forwardable: up, and no longer than MTU + link header + one VLAN tag.
  if (!peer || !peer.up || skb.data.length > peer.mtu + ETH_HLEN + VLAN_HLEN) {
    dev.stats.txPackets--;
    dev.stats.txBytes -= skb.data.length;
    drop(net, dev, skb, peer && peer.up ? 'veth_too_long' : 'veth_peer_down', false);
    return;
  }
  // skb_scrub_packet: crossing namespaces clears the mark.
  if (peer.ns !== dev.ns) skb.mark = 0;
  skb.redirected = false;
  netifRx(net, peer, skb);
}

/** generic_xdp_tx: straight to the driver of `dev`, no qdisc, no taps. */
function genericXdpTx(net: Network, dev: NetDevice, skb: NetSkb, prog: BpfProg): void {
  if (!dev.up) {
    traceTracepoint(net.kernel, 'xdp:xdp_exception', { progId: prog.id, act: XDP_TX, ifindex: dev.ifindex });
    drop(net, dev, skb, 'xdp_tx_dev_down');
    return;
  }
  driverXmit(net, dev, skb);
}

const ENXIO = 6;

/**
 * Send an XDP_TX'd or redirected frame out of `fwd`. Generic XDP: generic_xdp_tx. Native XDP
 * (a veth's own hook): the target's ndo_xdp_xmit, which only veth has here; veth_xdp_xmit
 * hands the frame to the peer's NAPI ring, which exists while the peer has a native XDP
 * program (else -ENXIO when the bulk queue is flushed: the frame is dropped). The kernel also
 * runs that ring for a peer with GRO requested; bpfsim does not model GRO (docs/network.md).
 */
function xdpXmit(net: Network, from: NetDevice, fwd: NetDevice, skb: NetSkb, prog: BpfProg, why: 'tx' | 'redirect'): void {
  if (from.xdp?.mode !== 'native') {
    genericXdpTx(net, fwd, skb, prog);
    return;
  }
  if (fwd.kind !== 'veth') return redirectErr(net, from, skb, prog, fwd.ifindex, -EOPNOTSUPP);
  const peer = fwd.peer;
  const napi = !!peer && peer.up && peer.xdp?.mode === 'native';
  if (!fwd.up || !napi || skb.data.length > peer!.mtu + ETH_HLEN + VLAN_HLEN) {
    traceTracepoint(net.kernel, why === 'tx' ? 'xdp:xdp_bulk_tx' : 'xdp:xdp_devmap_xmit', {
      progId: prog.id, act: why === 'tx' ? XDP_TX : XDP_REDIRECT, ifindex: from.ifindex, toIfindex: fwd.ifindex, err: -ENXIO,
    });
    drop(net, fwd, skb, 'veth_xdp_xmit', false);
    return;
  }
  fwd.stats.txPackets++;
  fwd.stats.txBytes += skb.data.length;
  trace(net, fwd, 'tx', 'xdp_frame', skb.data);
  if (peer!.ns !== fwd.ns) skb.mark = 0;
  skb.redirected = false;
  netifRx(net, peer!, skb);
}

/** xdp_ok_fwd_dev: 0 or a negative errno. */
function xdpOkFwdDev(dev: NetDevice, len: number): number {
  if (!dev.up) return -ENETDOWN;
  if (len > dev.mtu + ETH_HLEN) return -EMSGSIZE;
  return 0;
}

function redirectErr(net: Network, dev: NetDevice, skb: NetSkb, prog: BpfProg, to: number, err: number): void {
  traceTracepoint(net.kernel, 'xdp:xdp_redirect_err', { progId: prog.id, act: XDP_REDIRECT, ifindex: dev.ifindex, toIfindex: to, err });
  drop(net, dev, skb, 'xdp_redirect_err');
}

/** xdp_do_generic_redirect / xdp_do_redirect: to an ifindex, a devmap entry, or every devmap entry (BPF_F_BROADCAST). */
function xdpRedirect(net: Network, dev: NetDevice, skb: NetSkb, prog: BpfProg): void {
  net.charge(net.costs.redirect);
  const req = takeRedirect(net.kernel, prog);
  if (!req || req.kind === 'peer') {
    redirectErr(net, dev, skb, prog, 0, -EINVAL);
    return;
  }
  if (req.kind === 'ifindex') {
    const fwd = dev.ns.deviceByIndex(req.ifindex);
    if (!fwd) return redirectErr(net, dev, skb, prog, req.ifindex, -EINVAL);
    const err = xdpOkFwdDev(fwd, skb.data.length);
    if (err) return redirectErr(net, dev, skb, prog, req.ifindex, err);
    trace(net, dev, 'redirect', `xdp to ${fwd.name}`, skb.data);
    xdpXmit(net, dev, fwd, skb, prog, 'redirect');
    return;
  }
  const targets = devmapTargets(req.map, req.key, req.flags, dev);
  if (targets === undefined) return redirectErr(net, dev, skb, prog, 0, -EOPNOTSUPP);
  if (!(req.flags & BPF_F_BROADCAST)) {
    const fwd = targets[0];
    if (!fwd) return redirectErr(net, dev, skb, prog, 0, -EINVAL);
    const err = xdpOkFwdDev(fwd, skb.data.length);
    if (err) return redirectErr(net, dev, skb, prog, fwd.ifindex, err);
    trace(net, dev, 'redirect', `xdp devmap to ${fwd.name}`, skb.data);
    xdpXmit(net, dev, fwd, skb, prog, 'redirect');
    return;
  }
  // dev_map_redirect_multi: a clone to every valid entry, the original to the last one.
  const ok = targets.filter((t): t is NetDevice => !!t && xdpOkFwdDev(t, skb.data.length) === 0);
  if (!ok.length) {
    trace(net, dev, 'drop', 'xdp_broadcast_no_target', skb.data);
    return;
  }
  for (const [i, fwd] of ok.entries()) {
    trace(net, dev, 'redirect', `xdp broadcast to ${fwd.name}`, skb.data);
    xdpXmit(net, dev, fwd, i === ok.length - 1 ? skb : cloneSkb(skb), prog, 'redirect');
  }
}

/**
 * The devices a devmap redirect reaches: the entry at `key`, or with
 * BPF_F_BROADCAST every entry in the map's iteration order (minus the ingress
 * device with BPF_F_EXCLUDE_INGRESS). undefined: not a devmap (cpumap and xskmap
 * redirects are not modelled yet).
 */
function devmapTargets(map: BpfMap, key: number, flags: number, ingress: NetDevice): (NetDevice | undefined)[] | undefined {
  const rm = map as unknown as Partial<RedirectMap>;
  if (typeof rm.target !== 'function' || (map.type !== BpfMapType.DEVMAP && map.type !== BpfMapType.DEVMAP_HASH)) return undefined;
  const devOf = (k: number): NetDevice | undefined => rm.target!(k)?.ref as NetDevice | undefined;
  if (!(flags & BPF_F_BROADCAST)) return [devOf(key)];
  const out: NetDevice[] = [];
  let k: Uint8Array | null = null;
  for (;;) {
    const next = map.getNextKey(k);
    if (typeof next === 'number') break;
    k = next;
    const d = devOf(new DataView(next.buffer, next.byteOffset).getUint32(0, true));
    if (d && !(flags & BPF_F_EXCLUDE_INGRESS && d.ifindex === ingress.ifindex)) out.push(d);
  }
  return out;
}

/**
 * skb_do_redirect after TC_ACT_REDIRECT: bpf_redirect to an ifindex of the
 * same namespace (egress: dev_queue_xmit on it; BPF_F_INGRESS: its receive
 * path), bpf_redirect_peer to a veth's peer in another namespace (its
 * receive path again, without XDP). Any failure drops the packet.
 */
function skbDoRedirect(net: Network, dev: NetDevice, skb: NetSkb, prog: BpfProg, atIngress: boolean): void {
  net.charge(net.costs.redirect);
  const req = takeRedirect(net.kernel, prog);
  const fail = (why: string): void => drop(net, dev, skb, `tc_redirect_${why}`, atIngress);
  if (!req || req.kind === 'map') return fail('no_target');
  const target = dev.ns.deviceByIndex(req.ifindex);
  if (!target) return fail('no_device');
  if (req.kind === 'peer') {
    const peer = target.peer;
    if (!atIngress || !peer || !peer.up || peer.ns === dev.ns) return fail('peer');
    trace(net, dev, 'redirect', `tc peer to ${peer.ns.name}/${peer.name}`, withVlanTag(skb));
    peer.stats.rxPackets++;
    peer.stats.rxBytes += skb.data.length;
    skb.redirected = true;
    netifReceiveSkb(net, peer, skb, true);
    return;
  }
  if (skb.data.length < ETH_HLEN) return fail('no_mac');
  if (req.flags & BPF_F_INGRESS) {
    if (!target.up) return fail('dev_down');
    trace(net, dev, 'redirect', `tc to ${target.name} ingress`, withVlanTag(skb));
    if (target.ns !== dev.ns) skb.mark = 0;
    skb.redirected = false;
    netifRx(net, target, skb);
    return;
  }
  trace(net, dev, 'redirect', `tc to ${target.name} egress`, withVlanTag(skb));
  skb.redirected = true;
  devQueueXmit(net, target, skb);
}
