/** `bpfsim verify`: output, --json lines, exit codes (0 accepted, 1 rejected, 2 unreadable). */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../src/main';

function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  return main(argv, { out: (t) => out.push(t), err: (t) => err.push(t), isTTY: false }).then((code) => ({ code, out: out.join('\n'), err: err.join('\n') }));
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-verify-'));
const write = (name: string, text: string): string => { const p = path.join(dir, name); fs.writeFileSync(p, text); return p; };
const good = write('good.s', 'r0 = 2\nexit\n');
const bad = write('bad.s', 'r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr0 = *(u8 *)(r2 + 12)\nr0 = 2\nexit\n');

describe('bpfsim verify', () => {
  test('an accepted program: exit 0, the log then the verdict', async () => {
    const r = await run(['verify', good, '--type', 'xdp']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/processed 2 insns/);
    expect(r.out).toMatch(/good\.s: accepted/);
  });
  test('a rejected program: exit 1, the kernel\'s error and an explanation', async () => {
    const r = await run(['verify', bad, '--type', 'xdp']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/invalid access to packet, off=12 size=1, R2\(id=0,off=12,r=0\)/);
    expect(r.out).toMatch(/rejected: EACCES: R2 offset is outside of the packet/);
    expect(r.out).toMatch(/why: .*data_end/);
  });
  test('--json: one object per input, one line each', async () => {
    const r = await run(['verify', good, bad, '--type', 'xdp', '--json', '--log-level', '0']);
    const lines = r.out.split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { file: good, accepted: true, errno: null, error: null, processed: 2, log: '' },
      { file: bad, accepted: false, errno: 'EACCES', error: 'R2 offset is outside of the packet', processed: 3, log: '' },
    ]);
    expect(r.code).toBe(1);
  });
  test('an unreadable input: exit 2 with a message naming it', async () => {
    const r = await run(['verify', path.join(dir, 'missing.s'), good]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/missing\.s: cannot read/);
  });
  test('an unknown --type is refused', async () => {
    const r = await run(['verify', good, '--type', 'nope']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown program type 'nope'/);
  });
  test('--attach-type decides which hook fields a cgroup program may touch', async () => {
    // bpf_sock_addr->user_ip4 (offset 4) is for the IPv4 hooks only; the attach type is required at load
    const p = write('addr.s', 'r2 = *(u32 *)(r1 + 4)\nr0 = 1\nexit\n');
    expect((await run(['verify', p, '--type', 'cgroup_sock_addr', '--attach-type', 'cgroup_inet4_connect'])).code).toBe(0);
    const v6 = await run(['verify', p, '--type', 'cgroup_sock_addr', '--attach-type', 'BPF_CGROUP_INET6_CONNECT']);
    expect(v6.code).toBe(1);
    expect(v6.out).toMatch(/invalid bpf_context access off=4 size=4/);
    const none = await run(['verify', p, '--type', 'cgroup_sock_addr', '--json']);
    expect(JSON.parse(none.out)).toMatchObject({ accepted: false, errno: 'EINVAL' });
    const unknown = await run(['verify', p, '--type', 'cgroup_sock_addr', '--attach-type', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/^bpfsim: --attach-type: unknown attach type 'nope' \(expected one of: cgroup_inet_ingress, /);
  });
  test('--prog and --section pick programs of an object; a missing one is named', async () => {
    const obj = path.resolve(__dirname, '../../../corpus/cgroup_sock.bpf.o');
    const one = await run(['verify', obj, '--prog', 'connect_redirect', '--json', '--log-level', '0']);
    expect(one.out.split('\n').map((l) => JSON.parse(l).program)).toEqual(['connect_redirect']);
    const sec = await run(['verify', obj, '--section', 'cgroup/dev', '--json', '--log-level', '0']);
    expect(sec.out.split('\n').map((l) => JSON.parse(l).program)).toEqual(['dev_only_null']);
    const none = await run(['verify', obj, '--prog', 'nope']);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/^bpfsim: .*cgroup_sock\.bpf\.o: no program 'nope' \(programs: sock_no_raw \(cgroup\/sock_create\), /);
  });
  test('the program type decides the context rules', async () => {
    // socket filters cannot read __sk_buff->data directly
    const p = write('sf.s', 'r2 = *(u32 *)(r1 + 76)\nr0 = 0\nexit\n');
    expect((await run(['verify', p, '--type', 'socket_filter'])).out).toMatch(/invalid bpf_context access off=76 size=4/);
    expect((await run(['verify', p, '--type', 'sched_cls'])).code).toBe(0);
  });
  test('a badly encoded raw program is a verdict (the kernel\'s errno and message), and the other files are still verified', async () => {
    // raw little-endian words: r0 = 0; <bad>; exit
    const words = (bad: number[]): Buffer => Buffer.from([0xb7, 0, 0, 0, 0, 0, 0, 0, ...bad, 0x95, 0, 0, 0, 0, 0, 0, 0]);
    const raw = (name: string, bad: number[]): string => { const p = path.join(dir, name); fs.writeFileSync(p, words(bad)); return p; };
    const bad = [
      raw('op8f.bin', [0x8f, 0, 0, 0, 0, 0, 0, 0]), // unknown opcode 8f
      raw('r11.bin', [0xb7, 0x0b, 0, 0, 1, 0, 0, 0]), // r11 = 1
      raw('ldx.bin', [0x79, 0xa1, 0xf8, 0xff, 1, 0, 0, 0]), // r1 = *(u64 *)(r10 -8) with imm 1
      raw('lddw.bin', [0x18, 0x01, 0, 0, 1, 0, 0, 0]), // an lddw whose second slot is the exit
    ];
    const r = await run(['verify', ...bad, good, '--json', '--log-level', '0']);
    const lines = r.out.split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [path.basename(l.file), l.accepted, l.errno, l.error])).toEqual([
      ['op8f.bin', false, 'EINVAL', 'unknown opcode 8f'],
      ['r11.bin', false, 'EINVAL', 'R11 is invalid'],
      ['ldx.bin', false, 'EINVAL', 'BPF_LDX uses reserved fields'],
      ['lddw.bin', false, 'EINVAL', 'invalid bpf_ld_imm64 insn'],
      ['good.s', true, null, null],
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(1);
    // the same words loaded into the running kernel (a socket filter, as --type defaults to)
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const oracle = require('../../../tools/oracle');
    if (oracle.available().ok) {
      for (const [i, f] of bad.entries()) {
        const k = oracle.loadVerdict({ type: 1, insns: new Uint8Array(fs.readFileSync(f)), logLevel: 1 });
        expect([k.errnoName, k.lastErrorLine]).toEqual([lines[i].errno, lines[i].error]);
      }
    }
    // a length that is not whole instructions is still an unreadable input
    const odd = path.join(dir, 'odd.bin');
    fs.writeFileSync(odd, Buffer.from([0x95, 0, 0, 0, 0, 0, 0, 0, 0xff]));
    const o = await run(['verify', odd, good]);
    expect(o.code).toBe(2);
    expect(o.err).toMatch(/odd\.bin: program is 9 bytes, not a multiple of 8/);
  });
});
