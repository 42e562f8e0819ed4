/** The packet path: namespaces, devices, XDP and tc (docs/network.md). */
export { Network, type NetworkOptions } from './network';
export { NetNs } from './netns';
export { NetDevice, type DevStats, type CapturedPacket, type DeliveredPacket, type DeviceKind, type ProgLike } from './netdevice';
export { createVethPair, macOf, type VethOptions } from './veth';
export { TcChain, execOpcode, TC_ACT_NAMES, type TcFilter, type TcAttachOptions } from './cls_bpf';
export { XDP_ACT_NAMES, xdpActName, XDP_FLAGS_SKB_MODE, XDP_FLAGS_DRV_MODE, XDP_FLAGS_UPDATE_IF_NOEXIST, type XdpAttachment } from './xdp';
export { DEFAULT_NET_COSTS, type NetCosts } from './cost';
export { packetSummary, type NetTraceRecord, type NetEvent } from './trace';
