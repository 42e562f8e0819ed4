/**
 * Socket helpers in tp_btf programs against the running kernel: tracing_prog_func_proto gives
 * bpf_get_socket_cookie the prototype bpf_get_socket_ptr_cookie_proto, whose argument is a BTF
 * socket (ARG_PTR_TO_BTF_ID_SOCK_COMMON), not the context; raw_tracepoint programs cannot call it.
 * Programs pass a trusted socket argument, a maybe-NULL one with and without a NULL check, a socket
 * read through an sk_buff, the sk_buff itself, the context and a scalar. Verdict, errno, final line
 * and level-1 log must be the kernel's. Skipped, with the reason, where bpf() or the BTF is missing.
 */
import * as fs from 'fs';
import { assemble, encodeProgram } from '@bpfsim/isa';
import { parseBtf } from '@bpfsim/loader';
import { verify, type KernelBtf } from '@bpfsim/verifier';
import { BpfAttachType, BpfProgType } from '@bpfsim/uapi';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const oracle = require('../../../tools/oracle');

const VMLINUX = '/sys/kernel/btf/vmlinux';
const avail: { ok: boolean; reason?: string } = !fs.existsSync(VMLINUX) ? { ok: false, reason: `${VMLINUX} not found` } : oracle.available();
const d = avail.ok ? describe : describe.skip;
if (!avail.ok) console.log(`tracing socket helper tests skipped: ${avail.reason}`);

/** [tracepoint, program]: arguments are u64 slots of the context (the first after __data at +0). */
const CASES: [string, string][] = [
  // sock_exceed_buf_limit(sk, prot, allocated, kind): a trusted socket
  ['sock_exceed_buf_limit', 'r1 = *(u64 *)(r1 +0)\ncall 46\nr0 = 0\nexit'],
  ['inet_sk_error_report', 'r1 = *(u64 *)(r1 +0)\ncall 46\nexit'],
  // tcp_send_reset(sk, skb, reason): sk may be NULL (raw_tp_null_args)
  ['tcp_send_reset', 'r1 = *(u64 *)(r1 +0)\ncall 46\nr0 = 0\nexit'],
  ['tcp_send_reset', 'r1 = *(u64 *)(r1 +0)\nif r1 == 0 goto +1\ncall 46\nr0 = 0\nexit'],
  // the sk_buff argument, and the socket read through it (skb->sk)
  ['tcp_send_reset', 'r1 = *(u64 *)(r1 +8)\ncall 46\nr0 = 0\nexit'],
  ['kfree_skb', 'r1 = *(u64 *)(r1 +0)\nr1 = *(u64 *)(r1 +24)\ncall 46\nr0 = 0\nexit'],
  ['kfree_skb', 'r1 = *(u64 *)(r1 +0)\nr1 = *(u64 *)(r1 +24)\nif r1 == 0 goto +1\ncall 46\nr0 = 0\nexit'],
  // kfree_skb(skb, location, reason, rx_sk): rx_sk may be NULL
  ['kfree_skb', 'r1 = *(u64 *)(r1 +24)\nif r1 == 0 goto +1\ncall 46\nr0 = 0\nexit'],
  // the context, a scalar, NULL
  ['sock_exceed_buf_limit', 'call 46\nr0 = 0\nexit'],
  ['sock_exceed_buf_limit', 'r1 = 7\ncall 46\nr0 = 0\nexit'],
  ['sock_exceed_buf_limit', 'r1 = 0\ncall 46\nr0 = 0\nexit'],
  // the socket argument moved off its start
  ['sock_exceed_buf_limit', 'r1 = *(u64 *)(r1 +0)\nr1 += 8\ncall 46\nr0 = 0\nexit'],
  // bpf_skc_to_tcp_sock & co. (RET_PTR_TO_BTF_ID_OR_NULL): the cast, its NULL check, a field read
  ['sock_exceed_buf_limit', 'r1 = *(u64 *)(r1 +0)\ncall 137\nif r0 == 0 goto +1\nr0 = *(u32 *)(r0 +0)\nr0 = 0\nexit'],
  ['sock_exceed_buf_limit', 'r1 = *(u64 *)(r1 +0)\ncall 137\nr0 = *(u32 *)(r0 +0)\nr0 = 0\nexit'],
  ['sock_exceed_buf_limit', 'r1 = *(u64 *)(r1 +0)\ncall 136\nif r0 == 0 goto +2\nr1 = r0\ncall 46\nr0 = 0\nexit'],
  ['tcp_send_reset', 'r1 = *(u64 *)(r1 +0)\ncall 138\nr0 = 0\nexit'],
  ['inet_sk_error_report', 'r1 = *(u64 *)(r1 +0)\ncall 140\nif r0 == 0 goto +1\nr0 = *(u64 *)(r0 +8)\nr0 = 0\nexit'],
  ['inet_sk_error_report', 'r1 = *(u64 *)(r1 +0)\ncall 178\nif r0 == 0 goto +1\nr0 = *(u8 *)(r0 +2)\nr0 = 0\nexit'],
  ['inet_sk_error_report', 'r1 = *(u64 *)(r1 +0)\ncall 139\nif r0 == 0 goto +1\nr0 = *(u64 *)(r0 +30000)\nr0 = 0\nexit'],
  ['sock_exceed_buf_limit', 'call 137\nr0 = 0\nexit'],
];

interface Out { accepted: boolean; errno: string | null; error: string | null; log: string }

d('socket helpers in tp_btf programs vs the kernel', () => {
  const btf = avail.ok ? (parseBtf(fs.readFileSync(VMLINUX), VMLINUX) as KernelBtf) : null;
  const typedefId = (tp: string): number => btf!.types.findIndex((t) => t.kind === 8 && t.name === `btf_trace_${tp}`);
  const run = (progType: number, asm: string, tp?: string): { kernel: Out; sim: Out } => {
    const insns = assemble(asm, { dialect: 'kernel' });
    const tracing = progType === BpfProgType.TRACING;
    const base = { progType, expectedAttachType: tracing ? BpfAttachType.TRACE_RAW_TP : undefined, attachBtfId: tp ? typedefId(tp) : undefined, license: 'GPL', logLevel: 1 as const };
    const k = oracle.loadVerdict({ type: progType, expectedAttachType: base.expectedAttachType, attachBtfId: base.attachBtfId, license: 'GPL', insns: encodeProgram(insns), logLevel: 1 });
    const s = verify(insns, { ...base, kernelBtf: btf! });
    return {
      kernel: { accepted: k.accepted, errno: k.accepted ? null : k.errnoName, error: k.accepted ? null : k.lastErrorLine, log: k.log },
      sim: { accepted: s.accepted, errno: s.errno, error: s.error, log: s.log },
    };
  };
  const results = btf ? CASES.map(([tp, asm]) => ({ tp, asm, ...run(BpfProgType.TRACING, asm, tp) })) : [];

  test('verdict, errno, final line and level-1 log agree', () => {
    const wrong = results.filter((r) => r.kernel.accepted !== r.sim.accepted || r.kernel.errno !== r.sim.errno || r.kernel.error !== r.sim.error || r.kernel.log !== r.sim.log)
      .map((r) => `${r.tp}: ${r.asm.replace(/\n/g, ' | ')}\n--- kernel ${r.kernel.errno} ${r.kernel.error}\n${r.kernel.log}--- bpfsim ${r.sim.errno} ${r.sim.error}\n${r.sim.log}`);
    expect(wrong).toEqual([]);
  });

  test('a trusted socket is accepted, the context is not', () => {
    expect(results[0].kernel.accepted && results[0].sim.accepted).toBe(true);
    expect(results[8].sim.error).toBe('R1 type=ctx expected=sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_');
  });

  test('tc programs: bpf_skc_to_tcp_sock on skb->sk (a sock_common, not a BTF pointer), with and without NULL checks', () => {
    const progs = [
      'r1 = *(u64 *)(r1 +168)\nif r1 == 0 goto +3\ncall 137\nif r0 == 0 goto +1\nr0 = *(u32 *)(r0 +0)\nr0 = 0\nexit',
      'r1 = *(u64 *)(r1 +168)\ncall 137\nr0 = 0\nexit',
      'r1 = *(u64 *)(r1 +168)\nif r1 == 0 goto +2\ncall 137\nr0 = *(u32 *)(r0 +0)\nr0 = 0\nexit',
      'call 137\nr0 = 0\nexit',
    ];
    const wrong = progs.map((asm) => ({ asm, ...run(BpfProgType.SCHED_CLS, asm) }))
      .filter((r) => r.kernel.accepted !== r.sim.accepted || r.kernel.errno !== r.sim.errno || r.kernel.error !== r.sim.error || r.kernel.log !== r.sim.log)
      .map((r) => `${r.asm.replace(/\n/g, ' | ')}\n--- kernel ${r.kernel.errno} ${r.kernel.error}\n${r.kernel.log}--- bpfsim ${r.sim.errno} ${r.sim.error}\n${r.sim.log}`);
    expect(wrong).toEqual([]);
  });

  test('raw_tracepoint programs cannot call it', () => {
    const r = run(BpfProgType.RAW_TRACEPOINT, 'call 46\nr0 = 0\nexit');
    expect(r.sim.error).toBe('program of this type cannot use helper bpf_get_socket_cookie#46');
    expect([r.sim.errno, r.sim.error]).toEqual([r.kernel.errno, r.kernel.error]);
  });
});
