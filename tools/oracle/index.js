'use strict';
/**
 * @bpfsim/oracle: the real kernel as a reference. Synchronous wrappers over
 * bpf(2) — program load (with the verifier log), BPF_PROG_TEST_RUN and map
 * commands — through a small N-API addon (src/oracle.c, built by build.js).
 * Nothing is ever attached. See README.md; types in index.d.ts.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const tape = require('./tape');

const ADDON = path.join(__dirname, 'build', 'oracle.node');

// bpf_cmd numbers used by the generic map entry points.
const CMD = {
  MAP_LOOKUP_ELEM: 1, MAP_UPDATE_ELEM: 2, MAP_DELETE_ELEM: 3, MAP_GET_NEXT_KEY: 4,
  MAP_LOOKUP_AND_DELETE_ELEM: 21, MAP_FREEZE: 22, MAP_LOOKUP_BATCH: 24,
  MAP_LOOKUP_AND_DELETE_BATCH: 25, MAP_UPDATE_BATCH: 26, MAP_DELETE_BATCH: 27,
};

// Map types whose values are per CPU: lookups return round_up(value_size, 8) * possible CPUs bytes.
const PERCPU_MAP_TYPES = new Set([5 /* PERCPU_HASH */, 6 /* PERCPU_ARRAY */, 10 /* LRU_PERCPU_HASH */, 21 /* PERCPU_CGROUP_STORAGE */]);
const XDP = 6;

let real;          // the addon itself, once loaded
let native;        // the addon as tests see it: every call through the kernel tape
let loadError;     // why it could not be loaded
let availability;  // cached result of available()

/** The addon, loaded on first use (never in replay mode: the tape answers there). */
function realAddon() {
  if (real || loadError) return real;
  try {
    real = require(ADDON);
  } catch (e) {
    loadError = fs.existsSync(ADDON)
      ? `oracle addon failed to load: ${e && e.message ? e.message.split('\n')[0] : e}`
      : 'oracle addon not built: run `node tools/oracle/build.js` (needs gcc and node headers)';
  }
  return real;
}

const NATIVE_CALLS = ['progLoad', 'testRun', 'progInfo', 'close', 'mapCreate', 'mapElem', 'mapBatch', 'mapInfo'];

/** The addon's calls, each asked through the tape (tape.js): recorded, replayed or live by BPFSIM_KERNEL. */
function addon() {
  if (native) return native;
  if (tape.mode() !== 'replay' && !realAddon()) return undefined;
  native = {};
  for (const name of NATIVE_CALLS) {
    native[name] = (...args) => tape.ask(`oracle.${name}`, args, () => realAddon()[name](...args));
  }
  return native;
}

// errno number -> name, from Node's table; first name wins for aliases (EAGAIN before EWOULDBLOCK),
// plus the kernel-internal ENOTSUPP (524) that bpf() does leak to user space.
const ERRNO_NAMES = (() => {
  const m = new Map();
  for (const [name, num] of Object.entries(os.constants.errno)) if (!m.has(num)) m.set(num, name);
  m.set(524, 'ENOTSUPP');
  return m;
})();

/** "ENOENT" for 2; "" for 0; "E<n>" for an unknown number. */
function errnoName(errno) {
  if (!errno) return '';
  return ERRNO_NAMES.get(errno) || `E${errno}`;
}

function need() {
  const a = available();
  if (!a.ok) throw new Error(`bpf oracle unavailable: ${a.reason}`);
  return addon();
}

function u8(x, what) {
  if (x == null) return null;
  if (x instanceof Uint8Array) return x;
  if (ArrayBuffer.isView(x)) return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  throw new TypeError(`oracle: ${what} must be a Uint8Array`);
}

function u32(x, what, dflt = 0) {
  if (x == null) return dflt;
  if (!Number.isInteger(x) || x < 0 || x > 0xffffffff) throw new TypeError(`oracle: ${what} must be a u32, got ${x}`);
  return x;
}

function num64(x, what) {
  if (x == null) return 0;
  const n = typeof x === 'bigint' ? Number(x) : x;
  if (!Number.isSafeInteger(n) || n < 0) throw new TypeError(`oracle: ${what} must be a non-negative safe integer, got ${x}`);
  return n;
}

function withName(r) {
  return { ...r, errnoName: errnoName(r.errno) };
}

/**
 * Can this process use the oracle? Loads the addon and test-loads and runs a
 * two-instruction XDP program once (cached). BPFSIM_NO_ORACLE=1 forces "no" when asking the live
 * kernel; replayed answers need no kernel and are unaffected.
 */
function available() {
  // Replay: the question is whether this test file has a tape (asked per file, never cached);
  // live/record: can the running kernel answer (BPFSIM_NO_ORACLE=1 says it cannot).
  return tape.availability(liveAvailable);
}

/** Can the running kernel answer? Loads the addon, then test-loads and runs r0 = XDP_PASS once (cached). */
function liveAvailable() {
  if (availability) return availability;
  if (process.platform !== 'linux') return (availability = { ok: false, reason: `bpf() needs Linux (this is ${process.platform})` });
  const n = realAddon();
  if (!n) return (availability = { ok: false, reason: loadError });
  // r0 = XDP_PASS; exit
  const insns = new Uint8Array([0xb7, 0, 0, 0, 2, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
  const r = n.progLoad(XDP, insns, 'GPL', 0, 0, 0, 0, null, 'oracle_probe', 0);
  if (r.fd < 0) {
    const why = r.errno === 1 || r.errno === 13 ? ' (needs root or CAP_BPF + CAP_NET_ADMIN)' : '';
    return (availability = { ok: false, reason: `bpf(BPF_PROG_LOAD) failed: ${errnoName(r.errno)}${why}` });
  }
  const t = n.testRun(r.fd, new Uint8Array(64), 64, null, 0, 1, 0, 0, 0);
  n.close(r.fd);
  if (t.errno || t.retval !== 2) {
    return (availability = { ok: false, reason: `bpf(BPF_PROG_TEST_RUN) failed: ${errnoName(t.errno) || `retval ${t.retval}`}` });
  }
  return (availability = { ok: true });
}

/**
 * BPF_PROG_LOAD. `insns` are the program's 8-byte slots, map fds already
 * patched in by the caller. With logLevel > 0 the log buffer grows until the
 * whole log fits, up to maxLogSize (default 64 MiB): beyond that the log is the
 * kernel's rolling tail (logTruncated) and errno is still the real verdict.
 * Returns fd null on rejection; close() the fd when done.
 */
function progLoad(opts) {
  const n = need();
  const insns = u8(opts.insns, 'insns');
  if (!insns || insns.length % 8) throw new TypeError('oracle: insns must be a Uint8Array of whole 8-byte slots');
  const logLevel = u32(opts.logLevel, 'logLevel');
  const logSize = Math.max(128, u32(opts.logSize, 'logSize', 1 << 16));
  let fdArray = null;
  if (opts.fdArray != null) fdArray = Uint32Array.from(opts.fdArray);
  const r = n.progLoad(
    u32(opts.type, 'type'), insns, opts.license ?? 'GPL', logLevel, logSize,
    u32(opts.expectedAttachType, 'expectedAttachType'), u32(opts.progFlags, 'progFlags'),
    fdArray, opts.name ?? '', u32(opts.kernVersion, 'kernVersion'), u32(opts.maxLogSize, 'maxLogSize', 64 << 20),
    u32(opts.attachBtfId, 'attachBtfId'), u32(opts.attachBtfObjFd, 'attachBtfObjFd'),
  );
  return { fd: r.fd >= 0 ? r.fd : null, errno: r.errno, errnoName: errnoName(r.errno), log: r.log, logTrueSize: r.logTrueSize, logTruncated: r.logTruncated };
}

/**
 * BPF_PROG_TEST_RUN. dataOut/ctxOut are sized dataSizeOut/ctxSizeOut
 * (defaults: input size + 4096 for data, the ctxIn size for ctx) and trimmed to
 * what the kernel reported. errno is nonzero when the syscall failed.
 */
function testRun(fd, opts = {}) {
  const n = need();
  const dataIn = u8(opts.dataIn, 'dataIn');
  const ctxIn = u8(opts.ctxIn, 'ctxIn');
  const dso = u32(opts.dataSizeOut, 'dataSizeOut', dataIn ? dataIn.length + 4096 : 0);
  const cso = u32(opts.ctxSizeOut, 'ctxSizeOut', ctxIn ? ctxIn.length : 0);
  const r = n.testRun(u32(fd, 'fd'), dataIn, dso, ctxIn, cso, u32(opts.repeat, 'repeat', 1), u32(opts.flags, 'flags'), u32(opts.cpu, 'cpu'), u32(opts.batchSize, 'batchSize'));
  return {
    retval: r.retval, duration: r.duration, dataOut: r.dataOut, ctxOut: r.ctxOut,
    dataSizeOut: r.dataSizeOut, ctxSizeOut: r.ctxSizeOut, errno: r.errno, errnoName: errnoName(r.errno),
  };
}

/**
 * Load, note the verdict, close: what a verifier differential test compares.
 * logLevel defaults to 1 so the final error line is available.
 */
function loadVerdict(opts) {
  const r = progLoad({ logLevel: 1, ...opts });
  if (r.fd !== null) close(r.fd);
  const { lastErrorLine, verifierStats } = require('./log');
  return {
    accepted: r.fd !== null, errno: r.errno, errnoName: r.errnoName, log: r.log,
    lastErrorLine: r.fd !== null ? '' : lastErrorLine(r.log), stats: verifierStats(r.log),
  };
}

// ---- maps ----

const mapShape = new Map(); // fd -> {type, keySize, valueSize}; cleared by close()

let possibleCpus;
/** Number of possible CPUs (what per-CPU map values are sized by). */
function numPossibleCpus() {
  if (possibleCpus) return possibleCpus;
  const text = tape.ask('sysfs.cpu.possible', null, () => fs.readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim(), { fact: true });
  let count = 0;
  for (const part of text.split(',')) {
    const [a, b] = part.split('-').map(Number);
    count += b === undefined ? 1 : b - a + 1;
  }
  return (possibleCpus = count);
}

function shape(fd) {
  let s = mapShape.get(fd);
  if (!s) {
    const info = mapInfo(fd);
    if (info.errno) throw new Error(`oracle: fd ${fd} is not a map (${info.errnoName})`);
    s = { type: info.type, keySize: info.keySize, valueSize: info.valueSize };
    mapShape.set(fd, s);
  }
  return s;
}

/** Bytes a lookup of this map returns per element (per-CPU maps: one 8-aligned slot per possible CPU). */
function valueBytes(fd) {
  const s = shape(fd);
  return PERCPU_MAP_TYPES.has(s.type) ? Math.ceil(s.valueSize / 8) * 8 * numPossibleCpus() : s.valueSize;
}

function mapCreate(opts) {
  const n = need();
  const r = n.mapCreate(
    u32(opts.type, 'type'), u32(opts.keySize, 'keySize'), u32(opts.valueSize, 'valueSize'),
    u32(opts.maxEntries, 'maxEntries'), u32(opts.flags, 'flags'), u32(opts.innerMapFd, 'innerMapFd'),
    opts.name ?? '', u32(opts.numaNode, 'numaNode'), num64(opts.mapExtra, 'mapExtra'),
  );
  if (r.fd >= 0) mapShape.set(r.fd, { type: opts.type, keySize: opts.keySize, valueSize: opts.valueSize });
  return { fd: r.fd >= 0 ? r.fd : null, errno: r.errno, errnoName: errnoName(r.errno) };
}

function elem(cmd, fd, key, value, outSize, flags) {
  const r = need().mapElem(cmd, u32(fd, 'fd'), u8(key, 'key'), u8(value, 'value'), outSize, num64(flags, 'flags'));
  return r;
}

/** BPF_MAP_LOOKUP_ELEM -> { value | null, errno } (flags: BPF_F_LOCK). */
function mapLookup(fd, key, flags = 0) {
  const r = elem(CMD.MAP_LOOKUP_ELEM, fd, key, null, valueBytes(fd), flags);
  return { value: r.out, errno: r.errno, errnoName: errnoName(r.errno) };
}

/** BPF_MAP_UPDATE_ELEM (flags: BPF_ANY 0, BPF_NOEXIST 1, BPF_EXIST 2, BPF_F_LOCK 4). */
function mapUpdate(fd, key, value, flags = 0) {
  const r = elem(CMD.MAP_UPDATE_ELEM, fd, key, value, 0, flags);
  return { errno: r.errno, errnoName: errnoName(r.errno) };
}

function mapDelete(fd, key) {
  const r = elem(CMD.MAP_DELETE_ELEM, fd, key, null, 0, 0);
  return { errno: r.errno, errnoName: errnoName(r.errno) };
}

/** BPF_MAP_GET_NEXT_KEY; key null asks for the first key. */
function mapGetNextKey(fd, key) {
  const r = elem(CMD.MAP_GET_NEXT_KEY, fd, key, null, Math.max(shape(fd).keySize, 1), 0);
  return { key: r.out, errno: r.errno, errnoName: errnoName(r.errno) };
}

/** BPF_MAP_LOOKUP_AND_DELETE_ELEM; key null for queue/stack maps. */
function mapLookupAndDelete(fd, key, flags = 0) {
  const r = elem(CMD.MAP_LOOKUP_AND_DELETE_ELEM, fd, key, null, valueBytes(fd), flags);
  return { value: r.out, errno: r.errno, errnoName: errnoName(r.errno) };
}

function mapFreeze(fd) {
  const r = elem(CMD.MAP_FREEZE, fd, null, null, 0, 0);
  return { errno: r.errno, errnoName: errnoName(r.errno) };
}

function batchResult(r, keySize, vSize) {
  return {
    count: r.count, keys: r.keys.subarray(0, r.count * keySize), values: r.values.subarray(0, r.count * vSize),
    outBatch: r.outBatch, errno: r.errno, errnoName: errnoName(r.errno),
  };
}

function lookupBatchCmd(cmd, fd, opts) {
  const { keySize } = shape(fd);
  const vSize = valueBytes(fd);
  const count = u32(opts.count, 'count');
  const tokenSize = Math.max(keySize, 8);
  const r = need().mapBatch(cmd, fd, u8(opts.inBatch, 'inBatch'), tokenSize, new Uint8Array(count * keySize), new Uint8Array(count * vSize), count, num64(opts.elemFlags, 'elemFlags'), num64(opts.flags, 'flags'));
  return batchResult(r, keySize, vSize);
}

/** BPF_MAP_LOOKUP_BATCH: up to `count` elements after `inBatch` (null: from the start); pass outBatch back to continue. ENOENT marks the end. */
function mapLookupBatch(fd, opts) {
  return lookupBatchCmd(CMD.MAP_LOOKUP_BATCH, fd, opts);
}

function mapLookupAndDeleteBatch(fd, opts) {
  return lookupBatchCmd(CMD.MAP_LOOKUP_AND_DELETE_BATCH, fd, opts);
}

/** BPF_MAP_UPDATE_BATCH: keys/values are count concatenated elements. count is how many were processed. */
function mapUpdateBatch(fd, keys, values, opts = {}) {
  const { keySize } = shape(fd);
  const k = u8(keys, 'keys');
  const count = keySize ? k.length / keySize : 0;
  const r = need().mapBatch(CMD.MAP_UPDATE_BATCH, fd, null, 0, k, u8(values, 'values'), count, num64(opts.elemFlags, 'elemFlags'), num64(opts.flags, 'flags'));
  return { count: r.count, errno: r.errno, errnoName: errnoName(r.errno) };
}

function mapDeleteBatch(fd, keys, opts = {}) {
  const { keySize } = shape(fd);
  const k = u8(keys, 'keys');
  const count = keySize ? k.length / keySize : 0;
  const r = need().mapBatch(CMD.MAP_DELETE_BATCH, fd, null, 0, k, null, count, num64(opts.elemFlags, 'elemFlags'), num64(opts.flags, 'flags'));
  return { count: r.count, errno: r.errno, errnoName: errnoName(r.errno) };
}

function mapInfo(fd) {
  const r = need().mapInfo(u32(fd, 'fd'));
  return { type: r.type, id: r.id, keySize: r.keySize, valueSize: r.valueSize, maxEntries: r.maxEntries, flags: r.flags, name: r.name, errno: r.errno, errnoName: errnoName(r.errno) };
}

/** Program info, including the kernel's rewritten (xlated) instructions. */
function progInfo(fd) {
  const r = need().progInfo(u32(fd, 'fd'));
  return { type: r.type, id: r.id, name: r.name, xlated: r.xlated, jitedLen: r.jitedLen, errno: r.errno, errnoName: errnoName(r.errno) };
}

function close(fd) {
  mapShape.delete(fd);
  const errno = need().close(u32(fd, 'fd'));
  return { errno, errnoName: errnoName(errno) };
}

module.exports = {
  available, errnoName, numPossibleCpus, tape, calls: () => need(),
  progLoad, loadVerdict, testRun, progInfo, close,
  mapCreate, mapLookup, mapUpdate, mapDelete, mapGetNextKey, mapLookupAndDelete, mapFreeze,
  mapLookupBatch, mapLookupAndDeleteBatch, mapUpdateBatch, mapDeleteBatch, mapInfo,
  ...require('./log'),
};
