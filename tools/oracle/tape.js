'use strict';
/**
 * The kernel tape: every question a test asks the real kernel (a bpf() call through the
 * addon, a run of a small C loader) and the kernel's answer, recorded once on a kernel that
 * matches the profile and replayed everywhere else. `npm test` replays, so it gives the same
 * answer on every host — with or without bpf(), whatever kernel it runs.
 *
 * BPFSIM_KERNEL selects the mode:
 *   replay (default in jest)  answers come from fixtures/linux-6.18/<test path>.tape.br; a question the
 *                     tape does not hold fails the test (the test changed: record again)
 *   record            asks the running kernel and writes the tape (npm run record:kernel)
 *   live              asks the running kernel, records nothing (npm run diff:kernel; the default
 *                     outside jest, for tools such as npm run fuzz:kernel)
 *
 * A question is keyed by the test that asked it (jest's current test name) and a hash of the
 * question; the same question asked again within one test gets the next recorded answer, so
 * stateful sequences (create a map, update it, look it up) replay in order, and running one
 * test alone (-t) still finds its answers.
 */
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const zlib = require('zlib');

const ROOT = path.resolve(__dirname, '..', '..');
/** The profile the tapes describe; also the folder they live in. */
const PROFILE = 'linux-6.18';
const TAPE_DIR = path.join(ROOT, 'fixtures', PROFILE);
const FORMAT = 1;

/** BPFSIM_KERNEL, by default replay inside jest and live elsewhere (tools and campaigns ask the kernel itself). */
function mode() {
  const m = process.env.BPFSIM_KERNEL || (process.env.JEST_WORKER_ID ? 'replay' : 'live');
  if (m !== 'replay' && m !== 'record' && m !== 'live') {
    throw new Error(`BPFSIM_KERNEL must be replay, record or live (got ${JSON.stringify(m).slice(0, 40)})`);
  }
  return m;
}

/** The running kernel's identity: what a tape says it was recorded from. */
function hostIdentity() {
  const read = (f) => { try { return fs.readFileSync(f); } catch { return null; } };
  const version = read('/proc/version');
  const btf = read('/sys/kernel/btf/vmlinux');
  return {
    version: version ? version.toString('utf8').trim() : `${os.type()} ${os.release()}`,
    release: os.release(),
    btfSha256: btf ? crypto.createHash('sha256').update(btf).digest('hex') : null,
    machine: os.arch(),
  };
}

// ---- values: JSON with bytes and bigints kept as themselves ----

function encode(v) {
  if (v === undefined) return { $undef: 1 };
  if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return { $big: v.toString() };
  if (Buffer.isBuffer(v)) return { $buf: v.toString('hex') };
  if (ArrayBuffer.isView(v)) {
    return { $u8: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex'), $t: v.constructor.name };
  }
  if (Array.isArray(v)) return v.map(encode);
  const out = {};
  for (const k of Object.keys(v).sort()) out[k] = encode(v[k]);
  return out;
}

const TYPED = { Uint8Array, Uint16Array, Uint32Array, Int32Array, BigUint64Array, Float64Array, Int8Array, Int16Array, BigInt64Array };

function decode(v) {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(decode);
  if ('$undef' in v) return undefined;
  if ('$big' in v) return BigInt(v.$big);
  if ('$buf' in v) return Buffer.from(v.$buf, 'hex');
  if ('$u8' in v) {
    const bytes = Uint8Array.from(Buffer.from(v.$u8, 'hex'));
    const T = TYPED[v.$t] || Uint8Array;
    return T === Uint8Array ? bytes : new T(bytes.buffer, 0, bytes.length / T.BYTES_PER_ELEMENT);
  }
  const out = {};
  for (const k of Object.keys(v)) out[k] = decode(v[k]);
  return out;
}

function keyOf(kind, question) {
  return crypto.createHash('sha256').update(kind).update('\0').update(JSON.stringify(encode(question))).digest('hex').slice(0, 24);
}

// ---- which test is asking ----

function jestState() {
  const e = global.expect;
  return e && typeof e.getState === 'function' ? e.getState() : null;
}

/** The test file asking (jest), or null outside jest. */
function testFile() {
  const s = jestState();
  return s && s.testPath ? s.testPath : null;
}

function testName() {
  const s = jestState();
  return (s && s.currentTestName) || '';
}

function tapePath(file) {
  return path.join(TAPE_DIR, `${path.relative(ROOT, file).split(path.sep).join('/')}.tape.br`);
}

// ---- tapes, one per test file ----

const tapes = new Map(); // tape path -> { header, tests: Map<test, Map<key, answers[]>>, cursor: Map<test\0key, n>, dirty }

function readTape(file) {
  const p = tapePath(file);
  let tape = tapes.get(p);
  if (tape) return tape;
  tape = { path: p, testFile: file, header: null, tests: new Map(), cursor: new Map(), dirty: false, missing: false };
  if (mode() === 'replay') {
    if (!fs.existsSync(p)) tape.missing = true;
    else {
      const doc = JSON.parse(zlib.brotliDecompressSync(fs.readFileSync(p)).toString('utf8'));
      if (doc.format !== FORMAT) throw new Error(`${path.relative(ROOT, p)}: tape format ${doc.format}, expected ${FORMAT}: record again`);
      tape.header = doc.kernel;
      for (const [test, entries] of doc.tests) {
        const m = new Map();
        for (const [key, answers] of entries) m.set(key, answers);
        tape.tests.set(test, m);
      }
    }
  } else {
    if (mode() === 'record') {
      const p2 = require('./profile').hostMatchesProfile();
      if (!p2.same) {
        throw new Error(
          `refusing to record kernel answers: this kernel's BTF (sha256 ${String(p2.host).slice(0, 16)}) is not the profile's ` +
          `(${p2.profile.slice(0, 16)}, ${p2.profileKernel}); regenerate the profile with tools/gen/kernel-btf.js first if this kernel is to become the profile`,
        );
      }
    }
    tape.header = hostIdentity();
  }
  tapes.set(p, tape);
  return tape;
}

/** The tape of the asking test file (null outside jest: tools ask the kernel directly). */
function currentTape() {
  const f = testFile();
  return f ? readTape(f) : null;
}

/**
 * Is there a kernel to ask? In replay mode: is there a tape for this test file; otherwise
 * `live()` decides (the real availability check), unless BPFSIM_NO_ORACLE says there is no
 * kernel. Returns { ok, reason? }.
 */
function availability(live) {
  if (mode() !== 'replay') {
    // BPFSIM_NO_ORACLE: behave as a host without bpf(); replay never needs one, so it stays as it is.
    if (process.env.BPFSIM_NO_ORACLE) return { ok: false, reason: 'disabled by BPFSIM_NO_ORACLE' };
    return live();
  }
  const t = currentTape();
  if (!t) return { ok: false, reason: 'kernel answers are replayed only inside jest tests (set BPFSIM_KERNEL=live for tools)' };
  if (t.missing) return { ok: false, reason: `no recorded kernel answers at ${path.relative(ROOT, t.path)} (npm run record:kernel)` };
  return { ok: true };
}

/**
 * Ask the kernel `kind` with `question` (any JSON-like value with bytes/bigints); `live()`
 * asks the real kernel. Replays, records or passes through by mode. `opts.fact`: the answer
 * is a fact of the kernel, not of a test's history (the number of CPUs): kept once per tape
 * and replayed to whichever test asks first.
 */
function ask(kind, question, live, opts = {}) {
  const m = mode();
  const tape = currentTape();
  if (m === 'live' || !tape) {
    if (m === 'replay' && !tape) throw new Error(`kernel question ${kind} outside a jest test in replay mode (set BPFSIM_KERNEL=live)`);
    return live();
  }
  const test = opts.fact ? '' : testName();
  const key = keyOf(kind, question);
  const ck = `${test}\0${key}`;
  const n = opts.fact ? 0 : tape.cursor.get(ck) || 0;
  tape.cursor.set(ck, n + 1);
  if (opts.fact && m === 'record' && tape.tests.get('') && tape.tests.get('').get(key)) return decode(tape.tests.get('').get(key)[0]);
  if (m === 'record') {
    const answer = live();
    let t = tape.tests.get(test);
    if (!t) tape.tests.set(test, (t = new Map()));
    let list = t.get(key);
    if (!list) t.set(key, (list = []));
    list.push(encode(answer));
    tape.dirty = true;
    return answer;
  }
  if (tape.missing) throw new Error(`no recorded kernel answers at ${path.relative(ROOT, tape.path)} (npm run record:kernel)`);
  const list = tape.tests.get(test) && tape.tests.get(test).get(key);
  if (!list || n >= list.length) {
    throw new Error(
      `the kernel tape ${path.relative(ROOT, tape.path)} has no answer for ${kind} #${n + 1} in "${test}": ` +
      'the test now asks the kernel something it did not ask when recorded; run `npm run record:kernel` on a profile kernel',
    );
  }
  return decode(list[n]);
}

/** Write the tapes this process recorded (record mode); jest's setup file calls it after each test file. */
function flush() {
  if (mode() !== 'record') return;
  for (const tape of tapes.values()) {
    if (!tape.dirty) continue;
    const doc = {
      format: FORMAT,
      profile: PROFILE,
      kernel: tape.header,
      testFile: path.relative(ROOT, tape.testFile).split(path.sep).join('/'),
      tests: [...tape.tests.keys()].sort().map((t) => [t, [...tape.tests.get(t).entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))]),
    };
    const raw = Buffer.from(JSON.stringify(doc));
    const br = zlib.brotliCompressSync(raw, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 9, [zlib.constants.BROTLI_PARAM_LGWIN]: 24 } });
    fs.mkdirSync(path.dirname(tape.path), { recursive: true });
    const tmp = `${tape.path}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, br);
    fs.renameSync(tmp, tape.path);
    tape.dirty = false;
  }
}

/** The header (kernel identity) of a tape file, read without replaying it. */
function readHeader(file) {
  const doc = JSON.parse(zlib.brotliDecompressSync(fs.readFileSync(file)).toString('utf8'));
  return { format: doc.format, profile: doc.profile, kernel: doc.kernel, testFile: doc.testFile, tests: doc.tests.length };
}

module.exports = { PROFILE, TAPE_DIR, ROOT, mode, hostIdentity, availability, ask, flush, readHeader, tapePath, encode, decode };
