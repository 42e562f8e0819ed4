/**
 * LPM_TRIE (kernel/bpf/lpm_trie.c). Keys are struct bpf_lpm_trie_key_u8:
 * a u32 prefixlen then data_size = key_size - 4 bytes; an element is the
 * prefix (prefixlen, first prefixlen bits of data), and the key bytes stored
 * with it are those of the last update, as the kernel copies them.
 *
 * Lookup (user space and programs) is longest-prefix match among prefixes no
 * longer than the key's prefixlen (nothing matches a key whose prefixlen
 * exceeds 8 * data_size). get_next_key walks the kernel trie's
 * post-order: a longer prefix comes before any shorter prefix that contains
 * it, and where two prefixes diverge the one with a 0 bit comes first. An
 * absent key (or prefixlen > max) restarts from the first element.
 *
 * Stored as a JS Map from "prefixlen:masked bytes" to the element slot; lookup
 * tries each prefix length from the key's down to 0 (at most 8 * data_size + 1
 * probes), get_next_key scans for the successor (O(n)).
 */
import { Errno } from '@bpfsim/uapi';
import type { ErrnoResult, MapAttr, MapContext } from './map';
import { BPF_EXIST, BPF_NOEXIST, MapFlag } from './flags';
import { ACCESS_MASK, KMALLOC_MAX_SIZE, MapBase, type MapTypeDef, accessOk, le32, roundUp8 } from './base';
import { Slab } from './slab';

const LPM_DATA_SIZE_MAX = 256;
const LPM_KEY_SIZE_MIN = 4 + 1;
const LPM_KEY_SIZE_MAX = 4 + LPM_DATA_SIZE_MAX;
/** KMALLOC_MAX_SIZE - LPM_DATA_SIZE_MAX - sizeof(struct lpm_trie_node) (24 on x86_64; measured). */
const LPM_VAL_SIZE_MAX = KMALLOC_MAX_SIZE - LPM_DATA_SIZE_MAX - 24;
const LPM_CREATE_FLAG_MASK = MapFlag.NO_PREALLOC | MapFlag.NUMA_NODE | ACCESS_MASK;
/** bpfsim's bound on simultaneously stored prefixes. */
const SIM_MAX_LPM = 1 << 22;
const E = (e: number): ErrnoResult => -e;

interface Elem {
  prefixlen: number;
  data: Uint8Array; // data_size bytes, as last written
  slot: number;
}

export class LpmTrieMap extends MapBase {
  readonly maxPrefixlen: number;
  private readonly dataSize: number;
  private readonly elems = new Map<string, Elem>();
  private readonly values: Slab;
  private readonly freeSlots: number[] = [];
  private nextSlot = 0;
  protected override readonly batchOps = { lookup: true, update: true, delete: true };

  constructor(attr: MapAttr, ctx: MapContext) {
    super(attr, ctx);
    this.dataSize = attr.keySize - 4;
    this.maxPrefixlen = this.dataSize * 8;
    this.values = new Slab(this.mem, roundUp8(attr.valueSize), Math.min(attr.maxEntries + 1, SIM_MAX_LPM), 'map_value',
      `${this.name || 'lpm'}.values`, this.progWritable, this);
  }

  get size(): number {
    return this.elems.size;
  }

  /** "len:hex" of the first len bits. */
  private ident(len: number, data: Uint8Array): string {
    let s = `${len}:`;
    const full = len >> 3;
    for (let i = 0; i < full; i++) s += data[i].toString(16).padStart(2, '0');
    if (len & 7) s += (data[full] & (0xff << (8 - (len & 7))) & 0xff).toString(16).padStart(2, '0');
    return s;
  }

  private data(key: Uint8Array): Uint8Array {
    return key.subarray(4, 4 + this.dataSize);
  }

  private match(key: Uint8Array): Elem | undefined {
    const d = this.data(key);
    // A key longer than the trie's prefixes matches nothing (trie_lookup_elem).
    if (le32(key) > this.maxPrefixlen) return undefined;
    for (let len = le32(key); len >= 0; len--) {
      const e = this.elems.get(this.ident(len, d));
      if (e) return e;
    }
    return undefined;
  }

  private doUpdate(key: Uint8Array, value: Uint8Array, flags: number): ErrnoResult {
    if (flags > BPF_EXIST) return E(Errno.EINVAL);
    const len = le32(key);
    if (len > this.maxPrefixlen) return E(Errno.EINVAL);
    const id = this.ident(len, this.data(key));
    const old = this.elems.get(id);
    // (one slot more than max_entries: a replacement takes its new node before the old one goes)
    if (old && flags === BPF_NOEXIST) return E(Errno.EEXIST);
    if (!old && flags === BPF_EXIST) return E(Errno.ENOENT);
    if (!old && this.elems.size >= this.maxEntries) return E(Errno.ENOSPC);
    let slot: number;
    if (this.freeSlots.length) slot = this.freeSlots.pop()!;
    else if (this.nextSlot < this.values.capacity) slot = this.nextSlot++;
    else return E(Errno.ENOMEM);
    this.values.buf(slot).set(value.subarray(0, this.valueSize), this.values.off(slot));
    // A replaced element gets a new node (new address), as in the kernel.
    if (old) this.freeSlots.push(old.slot);
    this.elems.set(id, { prefixlen: len, data: this.data(key).slice(), slot });
    return 0;
  }

  private doDelete(key: Uint8Array): ErrnoResult {
    const len = le32(key);
    if (len > this.maxPrefixlen) return E(Errno.EINVAL);
    const id = this.ident(len, this.data(key));
    const e = this.elems.get(id);
    if (!e) return E(Errno.ENOENT);
    this.elems.delete(id);
    this.freeSlots.push(e.slot);
    return 0;
  }

  /** Post-order comparison of two prefixes (negative: a first). */
  private order(a: Elem, b: Elem): number {
    const n = Math.min(a.prefixlen, b.prefixlen);
    for (let i = 0; i < n; i++) {
      const x = (a.data[i >> 3] >> (7 - (i & 7))) & 1;
      const y = (b.data[i >> 3] >> (7 - (i & 7))) & 1;
      if (x !== y) return x - y;
    }
    return b.prefixlen - a.prefixlen; // the longer (the descendant) first
  }

  private keyOf(e: Elem): Uint8Array {
    const k = new Uint8Array(this.keySize);
    k[0] = e.prefixlen & 0xff;
    k[1] = (e.prefixlen >>> 8) & 0xff;
    k[2] = (e.prefixlen >>> 16) & 0xff;
    k[3] = (e.prefixlen >>> 24) & 0xff;
    k.set(e.data, 4);
    return k;
  }

  protected override sysGetNextKey(key: Uint8Array | null): Uint8Array | ErrnoResult {
    let cur: Elem | undefined;
    if (key && le32(key) <= this.maxPrefixlen) cur = this.elems.get(this.ident(le32(key), this.data(key)));
    let best: Elem | undefined;
    for (const e of this.elems.values()) {
      if (cur && this.order(e, cur) <= 0) continue;
      if (!best || this.order(e, best) < 0) best = e;
    }
    return best ? this.keyOf(best) : E(Errno.ENOENT);
  }

  protected override sysLookup(key: Uint8Array | null): Uint8Array | ErrnoResult {
    if (!key) return E(Errno.EINVAL);
    const e = this.match(key);
    if (!e) return E(Errno.ENOENT);
    const o = this.values.off(e.slot);
    return this.values.buf(e.slot).slice(o, o + this.valueSize);
  }
  protected override sysUpdate(key: Uint8Array | null, value: Uint8Array, flags: number): ErrnoResult {
    return key ? this.doUpdate(key, value, flags) : E(Errno.EINVAL);
  }
  protected override sysDelete(key: Uint8Array | null): ErrnoResult {
    return key ? this.doDelete(key) : E(Errno.EINVAL);
  }

  override lookupAddr(key: Uint8Array): bigint {
    const e = this.match(key);
    return e ? this.values.addr(e.slot) : 0n;
  }
  override updateFromProg(key: Uint8Array, value: Uint8Array, flags: number): ErrnoResult {
    return this.doUpdate(key, value, flags);
  }
  override deleteFromProg(key: Uint8Array): ErrnoResult {
    return this.doDelete(key);
  }

  protected override freeStorage(): void {
    this.values.free();
  }
}

export const lpmTrieType: MapTypeDef = {
  check(attr) {
    const flags = attr.flags ?? 0;
    if (attr.maxEntries === 0 || !(flags & MapFlag.NO_PREALLOC) || flags & ~LPM_CREATE_FLAG_MASK || !accessOk(flags) ||
      attr.keySize < LPM_KEY_SIZE_MIN || attr.keySize > LPM_KEY_SIZE_MAX || attr.valueSize < 1 ||
      attr.valueSize > LPM_VAL_SIZE_MAX) return E(Errno.EINVAL);
    return 0;
  },
  create(attr, ctx) {
    return new LpmTrieMap(attr, ctx);
  },
};
