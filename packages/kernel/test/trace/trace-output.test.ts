/**
 * trace_pipe's context prefix (src/trace/trace_output.ts) against C: a small program prints the
 * same generated cases with the kernel's own format strings ("%16s-%-7d ", "[%03d] ",
 * trace_print_lat_fmt's character choices, ns2usecs + " %5lu.%06lu") through printf, and every
 * line must equal ours byte for byte.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { latencyFlags, traceContextPrefix, traceTimestamp, printkState, type TraceContext } from '../../src/trace/trace_output';

const cc = ['cc', 'gcc', 'clang-19', 'clang'].find((c) => spawnSync(c, ['--version']).status === 0);

// The C side keeps the kernel's structure: flag bits, the switch over the resched bits, the
// ternaries of the irq characters, and the two preempt digits.
const C_SOURCE = String.raw`
#include <stdio.h>
#include <string.h>
enum { IRQS_OFF = 0x01, NEED_RESCHED_LAZY = 0x02, NEED_RESCHED = 0x04, HARDIRQ = 0x08, SOFTIRQ = 0x10,
       PREEMPT_RESCHED = 0x20, NMI = 0x40, BH_OFF = 0x80 };
int main(void) {
	char comm[64];
	int pid, cpu;
	unsigned flags, pc;
	unsigned long long ns;
	while (scanf("%63s %d %d %u %u %llu", comm, &pid, &cpu, &flags, &pc, &ns) == 6) {
		char irqs_off, need_resched, hardsoft_irq;
		int nmi = flags & NMI, hardirq = flags & HARDIRQ, softirq = flags & SOFTIRQ, bh_off = flags & BH_OFF;
		unsigned long long t;
		unsigned long secs, usec_rem;
		if (!strcmp(comm, "-")) comm[0] = 0;
		if (pid == 0) strcpy(comm, "<idle>");
		printf("%16s-%-7d ", comm, pid);
		printf("[%03d] ", cpu);
		irqs_off = (flags & IRQS_OFF && bh_off) ? 'D' : (flags & IRQS_OFF) ? 'd' : bh_off ? 'b' : '.';
		switch (flags & (NEED_RESCHED | NEED_RESCHED_LAZY | PREEMPT_RESCHED)) {
		case NEED_RESCHED | NEED_RESCHED_LAZY | PREEMPT_RESCHED: need_resched = 'B'; break;
		case NEED_RESCHED | PREEMPT_RESCHED: need_resched = 'N'; break;
		case NEED_RESCHED_LAZY | PREEMPT_RESCHED: need_resched = 'L'; break;
		case NEED_RESCHED | NEED_RESCHED_LAZY: need_resched = 'b'; break;
		case NEED_RESCHED: need_resched = 'n'; break;
		case PREEMPT_RESCHED: need_resched = 'p'; break;
		case NEED_RESCHED_LAZY: need_resched = 'l'; break;
		default: need_resched = '.'; break;
		}
		hardsoft_irq = (nmi && hardirq) ? 'Z' : nmi ? 'z' : (hardirq && softirq) ? 'H' : hardirq ? 'h' : softirq ? 's' : '.';
		printf("%c%c%c", irqs_off, need_resched, hardsoft_irq);
		if (pc & 0xf) printf("%x", pc & 0xf); else putchar('.');
		if (pc & 0xf0) printf("%x", pc >> 4); else putchar('.');
		t = (ns + 500) / 1000;
		usec_rem = t % 1000000;
		secs = t / 1000000;
		printf(" %5lu.%06lu", secs, usec_rem);
		printf(": \n");
	}
	return 0;
}
`;

/** A deterministic generator (no Math.random): xorshift32 from a fixed seed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x;
  };
}

interface Case { ctx: TraceContext; flags: number; pc: number }

function cases(n: number): Case[] {
  const r = rng(0x7ace);
  const comms = ['sh', 'bpfsim', 'kworker/0:1', 'a-very-long-nam', 'x', 'python3', 'systemd-journal'];
  const pids = [0, 1, 42, 1234567, 12345678, 4194304, 99];
  const out: Case[] = [];
  for (let i = 0; i < n; i++) {
    const flags = r() & 0xff;
    const preempt = r() % 20, migrate = r() % 20;
    // tracing_gen_ctx caps each count at 15 before packing them as nibbles.
    const pc = Math.min(preempt, 15) | (Math.min(migrate, 15) << 4);
    const ns = (BigInt(r()) * BigInt(r()) * BigInt(1 + (r() % 50))) % 10n ** 15n;
    const ctx: TraceContext = {
      comm: comms[r() % comms.length], pid: pids[r() % pids.length], cpu: r() % 1100, tsNs: i < 6 ? [0n, 499n, 500n, 999_999_499n, 999_999_500n, 99_999_999_999_500n][i] : ns,
      irqsOff: !!(flags & 0x01), needReschedLazy: !!(flags & 0x02), needResched: !!(flags & 0x04), hardirq: !!(flags & 0x08),
      softirq: !!(flags & 0x10), preemptResched: !!(flags & 0x20), nmi: !!(flags & 0x40), bhOff: !!(flags & 0x80), preempt, migrate,
    };
    out.push({ ctx, flags, pc });
  }
  return out;
}

(cc ? describe : describe.skip)('trace_pipe context prefix', () => {
  test('equals the kernel format strings printed by C, on 3000 generated cases', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-trace-output-'));
    try {
      fs.writeFileSync(path.join(dir, 'ref.c'), C_SOURCE);
      const b = spawnSync(cc!, ['-O1', '-o', path.join(dir, 'ref'), path.join(dir, 'ref.c')], { encoding: 'utf8' });
      expect(b.stderr).toBe('');
      const cs = cases(3000);
      const input = cs.map((c) => `${c.ctx.comm || '-'} ${c.ctx.pid} ${c.ctx.cpu} ${c.flags} ${c.pc} ${c.ctx.tsNs}`).join('\n') + '\n';
      const r = spawnSync(path.join(dir, 'ref'), [], { input, encoding: 'utf8' });
      const want = r.stdout.split('\n').slice(0, -1);
      expect(want.length).toBe(cs.length);
      const got = cs.map((c) => traceContextPrefix(c.ctx));
      for (let i = 0; i < cs.length; i++) if (got[i] !== want[i]) expect({ i, got: got[i] }).toEqual({ i, got: want[i] });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('timestamps round to the nearest microsecond (ns2usecs)', () => {
    expect(traceTimestamp(1_000_000_499n)).toBe('     1.000000');
    expect(traceTimestamp(1_000_000_500n)).toBe('     1.000001');
    expect(traceTimestamp(123_456_789_999_999_600n)).toBe(' 123456790.000000');
  });

  test('bpf_trace_printk from each kind of hook', () => {
    expect(latencyFlags(printkState('tracepoint/syscalls/sys_enter_kill'))).toBe('...21');
    expect(latencyFlags(printkState('tp/sched/sched_process_exit'))).toBe('...21');
    expect(latencyFlags(printkState('raw_tp/sched_switch'))).toBe('...2.');
    expect(latencyFlags(printkState('tp_btf/sched_switch'))).toBe('...2.');
    expect(latencyFlags(printkState('fentry/do_unlinkat'))).toBe('...11');
    // An XDP and a socket filter test run printing on this machine's kernel (bpftool prog run):
    // "bpftool-27864   [001] b..11 12797.264966: bpf_trace_printk: ..." (need-resched aside).
    expect(latencyFlags(printkState('test_run', 6))).toBe('b..11');
    expect(latencyFlags(printkState('test_run', 1))).toBe('b..11');
    expect(latencyFlags(printkState('direct'))).toBe('.....');
  });
});
