/** Map flag values from linux/bpf.h (no imports: every map module may use them). */

/** BPF_MAP_UPDATE_ELEM flags. */
export const BPF_ANY = 0;
export const BPF_NOEXIST = 1;
export const BPF_EXIST = 2;
export const BPF_F_LOCK = 4;

/** Map creation flags (enum in linux/bpf.h). */
export const MapFlag = {
  NO_PREALLOC: 1,
  NO_COMMON_LRU: 2,
  NUMA_NODE: 4,
  RDONLY: 8,
  WRONLY: 16,
  STACK_BUILD_ID: 32,
  ZERO_SEED: 64,
  RDONLY_PROG: 128,
  WRONLY_PROG: 256,
  CLONE: 512,
  MMAPABLE: 1024,
  PRESERVE_ELEMS: 2048,
  INNER_MAP: 4096,
  LINK: 8192,
  PATH_FD: 16384,
  VTYPE_BTF_OBJ_FD: 32768,
  TOKEN_FD: 65536,
  SEGV_ON_FAULT: 131072,
  NO_USER_CONV: 262144,
} as const;
