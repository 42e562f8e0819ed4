/**
 * The net namespace as the process world sees it (net/core/net_namespace.c): an
 * NsCommon that copy_net_ns can copy. The namespace itself is the packet path's
 * NetNs (net/netns.ts); this interface keeps src/ns from depending on src/net.
 */
import type { InumAllocator, NsCommon } from './ns_common';

export interface NetNamespace extends NsCommon {
  /** copy_net_ns for CLONE_NEWNET: a fresh namespace with only its loopback (down). */
  createChild(inums: InumAllocator): NetNamespace;
}
