/**
 * formatBtfC: the vmlinux.h `bpftool btf dump file X format c` prints, byte for byte — for
 * the profile kernel's BTF, every corpus object, and a C file of awkward declarations
 * compiled here — and a CO-RE program compiles against the emitted header.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { btfFromFile, formatBtfC, parseBtf } from '@bpfsim/loader';

const ROOT = path.resolve(__dirname, '../../..');
const CORPUS = path.join(ROOT, 'corpus');
const hasBpftool = spawnSync('bpftool', ['version'], { encoding: 'utf8' }).status === 0;
const clang = ['clang-19', 'clang'].find((c) => spawnSync(c, ['--version']).status === 0);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-btf-c-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function bpftoolC(file: string): string {
  const r = spawnSync('bpftool', ['btf', 'dump', 'file', file, 'format', 'c'], { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`bpftool failed on ${file}: ${r.stderr}`);
  return r.stdout;
}

/** The first differing line, for a readable failure. */
function firstDiff(a: string, b: string): string {
  const x = a.split('\n');
  const y = b.split('\n');
  for (let i = 0; i < Math.max(x.length, y.length); i++) if (x[i] !== y[i]) return `line ${i + 1}: ours ${JSON.stringify(x[i])}, bpftool ${JSON.stringify(y[i])}`;
  return '';
}

const AWKWARD = String.raw`
typedef unsigned long long u64;
typedef int (*handler_t)(void *ctx, const char *fmt, ...);
struct node;
typedef struct node node_t;
enum small : unsigned char { S_A = 1, S_B = 255 };
enum big { B_LOW = -1, B_HIGH = 0x7fffffffffffffffLL };
enum ubig { U_HIGH = 0xffffffffffffffffULL };
enum { LONE_A = 3, LONE_B };
struct bits { unsigned a: 3; unsigned b: 5; int c: 7; unsigned long long d: 40; char e; unsigned f: 1; };
struct __attribute__((packed)) pk { char c; int i; short s; };
struct al { char c; int x __attribute__((aligned(16))); };
struct node {
  node_t *next;
  struct node *(*make)(struct node *, int);
  void (*arr_of_fp[4])(int);
  int grid[2][3];
  const volatile int *cvp;
  char *const cp;
  union { int i; float f; struct { short lo, hi; } parts; } u;
  struct { int x; } anon_s;
  enum { IN_A, IN_B } inner_enum;
  enum small sm;
  struct bits bits;
  struct pk pk;
  struct al al;
  handler_t h;
  struct fwd_only *fo;
  union fwd_union *fu;
  int flex[];
};
struct a_cycle { struct b_cycle *b; };
struct b_cycle { struct a_cycle a; };
typedef struct { int v; } anon_td;
struct empty {};
struct dup { int a; };
struct all { struct node *n; struct b_cycle *b; anon_td *t; struct empty *e; struct dup *d; enum big eb; enum ubig ub; enum { DUP_X = 1 } lone_member; };
struct node g_node; struct b_cycle g_b; struct empty g_e; struct dup g_d; struct all g_all; node_t *g_list;
static int other(int k) { struct dup { long wide; } d2 = { k }; volatile struct dup *p = &d2; return p->wide; }
int use(struct all *a, int k) { return a->n->grid[1][2] + a->t->v + (int)a->eb + (int)a->ub + other(k); }
`;

(hasBpftool ? describe : describe.skip)('btf dump format c equals bpftool', () => {
  test('the profile kernel BTF (vmlinux.h)', () => {
    const raw = zlib.brotliDecompressSync(fs.readFileSync(path.join(ROOT, 'packages/kernel/data/vmlinux.btf.br')));
    const file = path.join(tmp, 'vmlinux');
    fs.writeFileSync(file, raw);
    const ours = formatBtfC(parseBtf(new Uint8Array(raw), file));
    const ref = bpftoolC(file);
    expect(firstDiff(ours, ref)).toBe('');
    expect(ours).toBe(ref);
    fs.writeFileSync(path.join(tmp, 'vmlinux.h'), ours);
  });

  test('every corpus object', () => {
    const files = fs.readdirSync(CORPUS).filter((f) => f.endsWith('.bpf.o')).sort();
    expect(files.length).toBeGreaterThan(20);
    const bad: string[] = [];
    for (const f of files) {
      const p = path.join(CORPUS, f);
      const ours = formatBtfC(btfFromFile(new Uint8Array(fs.readFileSync(p)), p));
      const ref = bpftoolC(p);
      if (ours !== ref) bad.push(`${f}: ${firstDiff(ours, ref)}`);
    }
    expect(bad).toEqual([]);
  });

  (clang ? test : test.skip)('awkward declarations: bitfields, packed/aligned, enum64, anonymous types, cycles, function pointers', () => {
    const src = path.join(tmp, 'awkward.c');
    const obj = path.join(tmp, 'awkward.o');
    fs.writeFileSync(src, AWKWARD);
    const r = spawnSync(clang!, ['-g', '-O2', '-target', 'bpf', '-c', src, '-o', obj], { encoding: 'utf8' });
    expect(r.stderr).not.toMatch(/error/);
    const ours = formatBtfC(btfFromFile(new Uint8Array(fs.readFileSync(obj)), obj));
    const ref = bpftoolC(obj);
    expect(firstDiff(ours, ref)).toBe('');
    expect(ours).toMatch(/struct __attribute__|__attribute__\(\(packed\)\)/);
    expect(ours).toMatch(/: 3;/);
  });
});

(clang && fs.existsSync('/usr/include/bpf/bpf_core_read.h') ? test : test.skip)('a CO-RE program compiles against the emitted vmlinux.h', () => {
  const raw = zlib.brotliDecompressSync(fs.readFileSync(path.join(ROOT, 'packages/kernel/data/vmlinux.btf.br')));
  const dir = fs.mkdtempSync(path.join(tmp, 'core-'));
  fs.writeFileSync(path.join(dir, 'vmlinux.h'), formatBtfC(parseBtf(new Uint8Array(raw), 'vmlinux')));
  fs.writeFileSync(path.join(dir, 'prog.bpf.c'), String.raw`
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
char LICENSE[] SEC("license") = "GPL";
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, u32); __type(value, u64); } out SEC(".maps");
SEC("kprobe/tcp_v4_connect")
int BPF_KPROBE(connect, struct sock *sk) {
  struct task_struct *t = (struct task_struct *)bpf_get_current_task();
  u32 k = 0;
  u64 v = BPF_CORE_READ(t, real_parent, tgid) + BPF_CORE_READ(sk, __sk_common.skc_dport) + BPF_CORE_READ(t, se.sum_exec_runtime);
  bpf_map_update_elem(&out, &k, &v, 0);
  return 0;
}
`);
  const r = spawnSync(clang!, ['-g', '-O2', '-target', 'bpf', '-D__TARGET_ARCH_x86', '-I', dir, '-c', path.join(dir, 'prog.bpf.c'), '-o', path.join(dir, 'prog.bpf.o')], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const btf = btfFromFile(new Uint8Array(fs.readFileSync(path.join(dir, 'prog.bpf.o'))), 'prog.bpf.o');
  expect(btf.types.some((t) => t.kind === 4 && t.name === 'task_struct')).toBe(true);
});
