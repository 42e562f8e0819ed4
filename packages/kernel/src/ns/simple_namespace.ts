/**
 * Namespaces bpfsim tracks by identity only this far (ipc, net, user, cgroup,
 * time): they get their inode numbers and show in /proc/PID/ns/*, and clone or
 * unshare creates new ones, but nothing inside them is modelled yet.
 */
import { InumAllocator, NS_INIT_INO, NsCommon, type NsType } from './ns_common';

export type SimpleNsType = Exclude<NsType, 'mnt' | 'uts' | 'pid'>;

export class SimpleNamespace extends NsCommon {
  constructor(type: SimpleNsType, inums: InumAllocator | undefined) {
    super(type, inums ? inums.alloc() : NS_INIT_INO[type], inums);
  }
}
