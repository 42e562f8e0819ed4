/*
 * @bpfsim/oracle native part: thin, synchronous wrappers around the bpf()
 * syscall for BPF_PROG_LOAD, BPF_PROG_TEST_RUN, map commands and object
 * info. It never attaches anything. Argument checking and defaults live in
 * index.js; this file only marshals buffers and reports errno.
 *
 * The bpf_attr layouts are written out here (checked against the running
 * kernel's BTF) instead of taken from <linux/bpf.h>, because the installed
 * uapi headers are older than the kernel (no log_true_size, fd_array_cnt).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <node_api.h>

#ifndef __NR_bpf
#error "__NR_bpf is not defined for this architecture"
#endif

typedef uint64_t u64a __attribute__((aligned(8)));

/* Commands (enum bpf_cmd). */
enum {
  CMD_MAP_CREATE = 0, CMD_MAP_LOOKUP_ELEM = 1, CMD_MAP_UPDATE_ELEM = 2, CMD_MAP_DELETE_ELEM = 3,
  CMD_MAP_GET_NEXT_KEY = 4, CMD_PROG_LOAD = 5, CMD_PROG_TEST_RUN = 10, CMD_OBJ_GET_INFO_BY_FD = 15,
  CMD_MAP_LOOKUP_AND_DELETE_ELEM = 21, CMD_MAP_FREEZE = 22, CMD_MAP_LOOKUP_BATCH = 24,
  CMD_MAP_LOOKUP_AND_DELETE_BATCH = 25, CMD_MAP_UPDATE_BATCH = 26, CMD_MAP_DELETE_BATCH = 27,
};

struct attr_map_create {
  uint32_t map_type, key_size, value_size, max_entries, map_flags, inner_map_fd, numa_node;
  char map_name[16];
  uint32_t map_ifindex, btf_fd, btf_key_type_id, btf_value_type_id, btf_vmlinux_value_type_id;
  u64a map_extra;
};

struct attr_map_elem {
  uint32_t map_fd;
  u64a key;
  u64a value; /* or next_key */
  u64a flags;
};

struct attr_map_batch {
  u64a in_batch, out_batch, keys, values;
  uint32_t count, map_fd;
  u64a elem_flags, flags;
};

struct attr_prog_load {
  uint32_t prog_type, insn_cnt;
  u64a insns, license;
  uint32_t log_level, log_size;
  u64a log_buf;
  uint32_t kern_version, prog_flags;
  char prog_name[16];
  uint32_t prog_ifindex, expected_attach_type, prog_btf_fd, func_info_rec_size;
  u64a func_info;
  uint32_t func_info_cnt, line_info_rec_size;
  u64a line_info;
  uint32_t line_info_cnt, attach_btf_id, attach_prog_fd, core_relo_cnt;
  u64a fd_array, core_relos;
  uint32_t core_relo_rec_size, log_true_size;
  int32_t prog_token_fd;
  uint32_t fd_array_cnt;
};

struct attr_test_run {
  uint32_t prog_fd, retval, data_size_in, data_size_out;
  u64a data_in, data_out;
  uint32_t repeat, duration, ctx_size_in, ctx_size_out;
  u64a ctx_in, ctx_out;
  uint32_t flags, cpu, batch_size;
};

struct attr_info {
  uint32_t bpf_fd, info_len;
  u64a info;
};

struct map_info {
  uint32_t type, id, key_size, value_size, max_entries, map_flags;
  char name[16];
  uint32_t ifindex, btf_vmlinux_value_type_id;
  u64a netns_dev, netns_ino;
  uint32_t btf_id, btf_key_type_id, btf_value_type_id, btf_vmlinux_id;
  u64a map_extra;
};

struct prog_info {
  uint32_t type, id;
  uint8_t tag[8];
  uint32_t jited_prog_len, xlated_prog_len;
  u64a jited_prog_insns, xlated_prog_insns, load_time;
  uint32_t created_by_uid, nr_map_ids;
  u64a map_ids;
  char name[16];
};

/* Sized union so every command passes the same, zero-filled size. */
union attr {
  struct attr_map_create mc;
  struct attr_map_elem me;
  struct attr_map_batch mb;
  struct attr_prog_load pl;
  struct attr_test_run tr;
  struct attr_info in;
  char pad[160];
};

static long sys_bpf(int cmd, union attr *a) {
  return syscall(__NR_bpf, cmd, a, sizeof(*a));
}

static u64a ptr(const void *p) { return (u64a)(uintptr_t)p; }

/* ---- argument helpers (index.js has already validated types) ---- */

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, "oracle: N-API call failed: " #call); return NULL; } } while (0)

static int arg_u32(napi_env env, napi_value v, uint32_t *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) { *out = 0; return 0; }
  return napi_get_value_uint32(env, v, out) == napi_ok;
}

static int arg_i64(napi_env env, napi_value v, int64_t *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) { *out = 0; return 0; }
  return napi_get_value_int64(env, v, out) == napi_ok;
}

/* A Uint8Array/Uint32Array argument, or NULL/undefined (data = NULL, len = 0). */
static int arg_bytes(napi_env env, napi_value v, void **data, size_t *len) {
  bool is_ta = false;
  *data = NULL; *len = 0;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return 0;
  napi_typedarray_type type; size_t n; napi_value ab; size_t off;
  if (napi_get_typedarray_info(env, v, &type, &n, data, &ab, &off) != napi_ok) return 0;
  *len = type == napi_uint32_array ? n * 4 : n;
  return 1;
}

static size_t arg_string(napi_env env, napi_value v, char *buf, size_t cap) {
  napi_valuetype t; size_t n = 0;
  buf[0] = 0;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string) return 0;
  napi_get_value_string_utf8(env, v, buf, cap, &n);
  return n;
}

static void set_num(napi_env env, napi_value obj, const char *k, double x) {
  napi_value v; napi_create_double(env, x, &v); napi_set_named_property(env, obj, k, v);
}

static void set_bytes(napi_env env, napi_value obj, const char *k, const void *src, size_t n) {
  napi_value ab, ta; void *dst = NULL;
  napi_create_arraybuffer(env, n, &dst, &ab);
  if (n) memcpy(dst, src, n);
  napi_create_typedarray(env, napi_uint8_array, n, ab, 0, &ta);
  napi_set_named_property(env, obj, k, ta);
}

static void set_null(napi_env env, napi_value obj, const char *k) {
  napi_value v; napi_get_null(env, &v); napi_set_named_property(env, obj, k, v);
}

static napi_value result_errno(napi_env env, long rc, int err) {
  napi_value obj; napi_create_object(env, &obj);
  set_num(env, obj, "rc", (double)rc);
  set_num(env, obj, "errno", rc < 0 ? err : 0);
  return obj;
}

static void get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  for (size_t i = argc; i < want; i++) napi_get_undefined(env, &argv[i]);
}

/* ---- BPF_PROG_LOAD ----
 * progLoad(type, insns, license, logLevel, logSize, expectedAttachType,
 *          progFlags, fdArray, name, kernVersion, maxLogSize, attachBtfId,
 *          attachBtfObjFd)
 *   -> { rc, errno, fd, log, logTrueSize, logTruncated }
 * On ENOSPC with a log requested, the buffer grows (to log_true_size when
 * the kernel reports it) and the load is retried. At maxLogSize the log stays
 * the kernel's rolling tail (logTruncated) and one more load without a log
 * gives the real verdict. */
static napi_value prog_load(napi_env env, napi_callback_info info) {
  napi_value argv[13];
  get_args(env, info, 13, argv);
  uint32_t type, log_level, log_size, eat, pflags, kver, max_log, btf_id, btf_obj_fd;
  void *insns, *fds; size_t insns_len, fds_len;
  char license[128], name[16];
  arg_u32(env, argv[0], &type);
  if (!arg_bytes(env, argv[1], &insns, &insns_len)) { napi_throw_type_error(env, NULL, "insns must be a Uint8Array"); return NULL; }
  arg_string(env, argv[2], license, sizeof license);
  arg_u32(env, argv[3], &log_level);
  arg_u32(env, argv[4], &log_size);
  arg_u32(env, argv[5], &eat);
  arg_u32(env, argv[6], &pflags);
  arg_bytes(env, argv[7], &fds, &fds_len);
  arg_string(env, argv[8], name, sizeof name);
  arg_u32(env, argv[9], &kver);
  arg_u32(env, argv[10], &max_log);
  arg_u32(env, argv[11], &btf_id);
  arg_u32(env, argv[12], &btf_obj_fd);
  if (max_log < 128 || max_log > (UINT32_MAX >> 2)) max_log = UINT32_MAX >> 2;
  if (log_size > max_log) log_size = max_log;

  char *log = NULL;
  int truncated = 0;
  long rc; int err;
  uint32_t true_size = 0;
  for (int verdict_only = 0;; ) {
    if (log_level && !verdict_only) {
      char *grown = realloc(log, log_size);
      if (!grown) { free(log); napi_throw_error(env, NULL, "oracle: out of memory for the verifier log"); return NULL; }
      log = grown; log[0] = 0;
    }
    union attr a; memset(&a, 0, sizeof a);
    a.pl.prog_type = type;
    a.pl.insn_cnt = (uint32_t)(insns_len / 8);
    a.pl.insns = ptr(insns);
    a.pl.license = ptr(license);
    a.pl.log_level = verdict_only ? 0 : log_level;
    a.pl.log_size = log_level && !verdict_only ? log_size : 0;
    a.pl.log_buf = log_level && !verdict_only ? ptr(log) : 0;
    a.pl.kern_version = kver;
    a.pl.prog_flags = pflags;
    memcpy(a.pl.prog_name, name, sizeof a.pl.prog_name - 1);
    a.pl.expected_attach_type = eat;
    a.pl.fd_array = fds ? ptr(fds) : 0;
    /* attach_btf_id: a tracing program's target in the kernel's (or a module's) BTF;
     * attach_prog_fd is attach_btf_obj_fd in the same union (0: vmlinux). */
    a.pl.attach_btf_id = btf_id;
    a.pl.attach_prog_fd = btf_obj_fd;
    rc = sys_bpf(CMD_PROG_LOAD, &a);
    err = errno;
    if (verdict_only) break;
    true_size = a.pl.log_true_size;
    if (rc >= 0 || err != ENOSPC || !log_level) break;
    if (log_size >= max_log) { truncated = 1; verdict_only = 1; continue; }
    uint64_t next = true_size > log_size ? (uint64_t)true_size + 1 : (uint64_t)log_size * 2;
    log_size = next > max_log ? max_log : (uint32_t)next;
  }
  napi_value obj = result_errno(env, rc, err);
  set_num(env, obj, "fd", rc >= 0 ? (double)rc : -1);
  set_num(env, obj, "logTrueSize", true_size);
  napi_value s, t;
  size_t n = log_level ? strnlen(log, log_size) : 0;
  if (napi_create_string_utf8(env, n ? log : "", n, &s) != napi_ok) {
    free(log);
    napi_throw_error(env, NULL, "oracle: the verifier log does not fit in a string; lower maxLogSize");
    return NULL;
  }
  napi_set_named_property(env, obj, "log", s);
  napi_get_boolean(env, truncated, &t);
  napi_set_named_property(env, obj, "logTruncated", t);
  free(log);
  return obj;
}

/* ---- BPF_PROG_TEST_RUN ----
 * testRun(fd, dataIn, dataSizeOut, ctxIn, ctxSizeOut, repeat, flags, cpu, batchSize)
 *   -> { rc, errno, retval, duration, dataOut, ctxOut } */
static napi_value test_run(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  get_args(env, info, 9, argv);
  uint32_t fd, dso, cso, repeat, flags, cpu, batch;
  void *din, *cin; size_t dlen, clen;
  arg_u32(env, argv[0], &fd);
  arg_bytes(env, argv[1], &din, &dlen);
  arg_u32(env, argv[2], &dso);
  arg_bytes(env, argv[3], &cin, &clen);
  arg_u32(env, argv[4], &cso);
  arg_u32(env, argv[5], &repeat);
  arg_u32(env, argv[6], &flags);
  arg_u32(env, argv[7], &cpu);
  arg_u32(env, argv[8], &batch);
  void *dout = dso ? calloc(1, dso) : NULL;
  void *cout = cso ? calloc(1, cso) : NULL;
  if ((dso && !dout) || (cso && !cout)) { free(dout); free(cout); napi_throw_error(env, NULL, "oracle: out of memory"); return NULL; }
  union attr a; memset(&a, 0, sizeof a);
  a.tr.prog_fd = fd;
  a.tr.data_in = din ? ptr(din) : 0; a.tr.data_size_in = (uint32_t)dlen;
  a.tr.data_out = dout ? ptr(dout) : 0; a.tr.data_size_out = dso;
  a.tr.ctx_in = cin ? ptr(cin) : 0; a.tr.ctx_size_in = (uint32_t)clen;
  a.tr.ctx_out = cout ? ptr(cout) : 0; a.tr.ctx_size_out = cso;
  a.tr.repeat = repeat; a.tr.flags = flags; a.tr.cpu = cpu; a.tr.batch_size = batch;
  long rc = sys_bpf(CMD_PROG_TEST_RUN, &a);
  int err = errno;
  napi_value obj = result_errno(env, rc, err);
  set_num(env, obj, "retval", a.tr.retval);
  set_num(env, obj, "duration", a.tr.duration);
  /* On ENOSPC the kernel still copies a truncated output; report what fits. */
  if (dout) set_bytes(env, obj, "dataOut", dout, a.tr.data_size_out < dso ? a.tr.data_size_out : dso); else set_null(env, obj, "dataOut");
  if (cout) set_bytes(env, obj, "ctxOut", cout, a.tr.ctx_size_out < cso ? a.tr.ctx_size_out : cso); else set_null(env, obj, "ctxOut");
  set_num(env, obj, "dataSizeOut", a.tr.data_size_out);
  set_num(env, obj, "ctxSizeOut", a.tr.ctx_size_out);
  free(dout); free(cout);
  return obj;
}

/* ---- maps ---- */

/* mapCreate(type, keySize, valueSize, maxEntries, flags, innerMapFd, name, numaNode, mapExtra) -> { rc, errno, fd } */
static napi_value map_create(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  get_args(env, info, 9, argv);
  union attr a; memset(&a, 0, sizeof a);
  char name[16]; int64_t extra;
  arg_u32(env, argv[0], &a.mc.map_type);
  arg_u32(env, argv[1], &a.mc.key_size);
  arg_u32(env, argv[2], &a.mc.value_size);
  arg_u32(env, argv[3], &a.mc.max_entries);
  arg_u32(env, argv[4], &a.mc.map_flags);
  arg_u32(env, argv[5], &a.mc.inner_map_fd);
  arg_string(env, argv[6], name, sizeof name);
  memcpy(a.mc.map_name, name, sizeof a.mc.map_name - 1);
  arg_u32(env, argv[7], &a.mc.numa_node);
  arg_i64(env, argv[8], &extra);
  a.mc.map_extra = (uint64_t)extra;
  long rc = sys_bpf(CMD_MAP_CREATE, &a);
  napi_value obj = result_errno(env, rc, errno);
  set_num(env, obj, "fd", rc >= 0 ? (double)rc : -1);
  return obj;
}

/* mapElem(cmd, fd, key|null, value|null, outSize, flags) -> { rc, errno, out }
 * One entry point for the per-element commands: `value` is the input of
 * UPDATE; `outSize` bytes come back in `out` for LOOKUP (value),
 * GET_NEXT_KEY (next key) and LOOKUP_AND_DELETE (value). */
static napi_value map_elem(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  get_args(env, info, 6, argv);
  uint32_t cmd, fd, out_size; int64_t flags;
  void *key, *val; size_t klen, vlen;
  arg_u32(env, argv[0], &cmd);
  arg_u32(env, argv[1], &fd);
  arg_bytes(env, argv[2], &key, &klen);
  arg_bytes(env, argv[3], &val, &vlen);
  arg_u32(env, argv[4], &out_size);
  arg_i64(env, argv[5], &flags);
  void *out = out_size ? calloc(1, out_size) : NULL;
  if (out_size && !out) { napi_throw_error(env, NULL, "oracle: out of memory"); return NULL; }
  union attr a; memset(&a, 0, sizeof a);
  a.me.map_fd = fd;
  a.me.key = key ? ptr(key) : 0;
  a.me.value = out ? ptr(out) : (val ? ptr(val) : 0);
  a.me.flags = (uint64_t)flags;
  long rc = sys_bpf((int)cmd, &a);
  napi_value obj = result_errno(env, rc, errno);
  if (out && rc >= 0) set_bytes(env, obj, "out", out, out_size); else set_null(env, obj, "out");
  free(out);
  return obj;
}

/* mapBatch(cmd, fd, inBatch|null, tokenSize, keys, values, count, elemFlags, flags)
 *   -> { rc, errno, count, outBatch, keys, values }
 * keys/values are inputs (UPDATE/DELETE) or output buffers (LOOKUP*) of
 * count * size bytes; they come back as copies after the call. */
static napi_value map_batch(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  get_args(env, info, 9, argv);
  uint32_t cmd, fd, tok_size, count; int64_t eflags, flags;
  void *in_batch, *keys, *vals; size_t in_len, klen, vlen;
  arg_u32(env, argv[0], &cmd);
  arg_u32(env, argv[1], &fd);
  arg_bytes(env, argv[2], &in_batch, &in_len);
  arg_u32(env, argv[3], &tok_size);
  arg_bytes(env, argv[4], &keys, &klen);
  arg_bytes(env, argv[5], &vals, &vlen);
  arg_u32(env, argv[6], &count);
  arg_i64(env, argv[7], &eflags);
  arg_i64(env, argv[8], &flags);
  void *kcopy = klen ? malloc(klen) : NULL, *vcopy = vlen ? malloc(vlen) : NULL;
  void *out_batch = tok_size ? calloc(1, tok_size) : NULL;
  if ((klen && !kcopy) || (vlen && !vcopy) || (tok_size && !out_batch)) {
    free(kcopy); free(vcopy); free(out_batch);
    napi_throw_error(env, NULL, "oracle: out of memory"); return NULL;
  }
  if (klen) memcpy(kcopy, keys, klen);
  if (vlen) memcpy(vcopy, vals, vlen);
  union attr a; memset(&a, 0, sizeof a);
  a.mb.map_fd = fd;
  a.mb.in_batch = in_batch ? ptr(in_batch) : 0;
  a.mb.out_batch = out_batch ? ptr(out_batch) : 0;
  a.mb.keys = kcopy ? ptr(kcopy) : 0;
  a.mb.values = vcopy ? ptr(vcopy) : 0;
  a.mb.count = count;
  a.mb.elem_flags = (uint64_t)eflags;
  a.mb.flags = (uint64_t)flags;
  long rc = sys_bpf((int)cmd, &a);
  napi_value obj = result_errno(env, rc, errno);
  set_num(env, obj, "count", a.mb.count);
  set_bytes(env, obj, "outBatch", out_batch, tok_size);
  set_bytes(env, obj, "keys", kcopy, klen);
  set_bytes(env, obj, "values", vcopy, vlen);
  free(kcopy); free(vcopy); free(out_batch);
  return obj;
}

/* ---- BPF_OBJ_GET_INFO_BY_FD for maps and programs ---- */

static napi_value map_info(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  get_args(env, info, 1, argv);
  struct map_info mi; memset(&mi, 0, sizeof mi);
  union attr a; memset(&a, 0, sizeof a);
  arg_u32(env, argv[0], &a.in.bpf_fd);
  a.in.info_len = sizeof mi; a.in.info = ptr(&mi);
  long rc = sys_bpf(CMD_OBJ_GET_INFO_BY_FD, &a);
  napi_value obj = result_errno(env, rc, errno);
  set_num(env, obj, "type", mi.type); set_num(env, obj, "id", mi.id);
  set_num(env, obj, "keySize", mi.key_size); set_num(env, obj, "valueSize", mi.value_size);
  set_num(env, obj, "maxEntries", mi.max_entries); set_num(env, obj, "flags", mi.map_flags);
  napi_value s; napi_create_string_utf8(env, mi.name, strnlen(mi.name, sizeof mi.name), &s);
  napi_set_named_property(env, obj, "name", s);
  return obj;
}

/* progInfo(fd) -> { rc, errno, type, id, name, xlatedLen, jitedLen, xlated } (xlated: the rewritten insns) */
static napi_value prog_info(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  get_args(env, info, 1, argv);
  struct prog_info pi; memset(&pi, 0, sizeof pi);
  union attr a; memset(&a, 0, sizeof a);
  uint32_t fd; arg_u32(env, argv[0], &fd);
  a.in.bpf_fd = fd; a.in.info_len = sizeof pi; a.in.info = ptr(&pi);
  long rc = sys_bpf(CMD_OBJ_GET_INFO_BY_FD, &a);
  int err = errno;
  void *xl = NULL; uint32_t xlen = pi.xlated_prog_len;
  if (rc >= 0 && xlen) {
    xl = calloc(1, xlen);
    struct prog_info p2; memset(&p2, 0, sizeof p2);
    p2.xlated_prog_len = xlen; p2.xlated_prog_insns = ptr(xl);
    memset(&a, 0, sizeof a);
    a.in.bpf_fd = fd; a.in.info_len = sizeof p2; a.in.info = ptr(&p2);
    if (!xl || sys_bpf(CMD_OBJ_GET_INFO_BY_FD, &a) < 0) xlen = 0;
  }
  napi_value obj = result_errno(env, rc, err);
  set_num(env, obj, "type", pi.type); set_num(env, obj, "id", pi.id);
  set_num(env, obj, "xlatedLen", pi.xlated_prog_len); set_num(env, obj, "jitedLen", pi.jited_prog_len);
  napi_value s; napi_create_string_utf8(env, pi.name, strnlen(pi.name, sizeof pi.name), &s);
  napi_set_named_property(env, obj, "name", s);
  set_bytes(env, obj, "xlated", xl, xlen);
  free(xl);
  return obj;
}

/* close(fd) -> errno (0 on success) */
static napi_value do_close(napi_env env, napi_callback_info info) {
  napi_value argv[1], r;
  get_args(env, info, 1, argv);
  uint32_t fd; arg_u32(env, argv[0], &fd);
  int rc = close((int)fd);
  napi_create_int32(env, rc < 0 ? errno : 0, &r);
  return r;
}

static napi_value init(napi_env env, napi_value exports) {
  static const struct { const char *name; napi_callback cb; } fns[] = {
    { "progLoad", prog_load }, { "testRun", test_run }, { "mapCreate", map_create },
    { "mapElem", map_elem }, { "mapBatch", map_batch }, { "mapInfo", map_info },
    { "progInfo", prog_info }, { "close", do_close },
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value f;
    CHECK(napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].cb, NULL, &f));
    CHECK(napi_set_named_property(env, exports, fns[i].name, f));
  }
  return exports;
}

NAPI_MODULE(oracle, init)
