/**
 * The UTS namespace (kernel/utsname.c): the strings uname(2) returns. A new
 * one starts as a copy of its parent's.
 */
import { InumAllocator, NS_INIT_INO, NsCommon } from './ns_common';

/** __NEW_UTS_LEN: each field holds 64 bytes plus the NUL. */
export const NEW_UTS_LEN = 64;

export interface UtsName {
  sysname: string;
  nodename: string;
  release: string;
  version: string;
  machine: string;
  domainname: string;
}

export class UtsNamespace extends NsCommon {
  constructor(readonly name: UtsName, inums: InumAllocator | undefined) {
    super('uts', inums ? inums.alloc() : NS_INIT_INO.uts, inums);
  }
  static initial(name: UtsName): UtsNamespace {
    return new UtsNamespace({ ...name }, undefined);
  }
  /** copy_utsname: a new namespace with the same strings. */
  clone(inums: InumAllocator): UtsNamespace {
    return new UtsNamespace({ ...this.name }, inums);
  }
}
