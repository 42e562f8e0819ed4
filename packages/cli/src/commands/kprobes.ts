/**
 * `bpfsim kprobes [FILTER] [--graph] [--json]`: the kernel functions bpfsim models — where kprobe,
 * kretprobe, kprobe.multi, ksyscall and fentry/fexit/fmod_ret programs can attach — with their
 * prototypes from the profile BTF and the syscalls that reach them (src/trace/kprobe-funcs.ts).
 * FILTER is a substring, or a glob as kprobe.multi takes. --graph prints each matching syscall's
 * call graph instead.
 */
import { Kernel, KFUNCS, SYSCALL_GRAPHS, globMatch, kfuncPrototype, syscallsReaching } from '@bpfsim/kernel';
import type { Command } from '../command';
import { CliExit, EXIT } from '../io';

const SYS = '__x64_sys_';

interface Row { name: string; proto: string; reachedBy: string[]; note?: string }

function rows(): Row[] {
  return new Kernel().kprobes.modelled().map((name) => {
    if (name.startsWith(SYS)) {
      // every syscall enters through its wrapper; SYSCALL_DEFINE0 ones have no BTF of their own
      return { name, proto: kfuncPrototype(name) ?? `long int ${name}(const struct pt_regs *regs)`, reachedBy: [name.slice(SYS.length)] };
    }
    const spec = KFUNCS[name];
    return { name, proto: spec.proto, reachedBy: syscallsReaching(name), ...(spec.note ? { note: `socket layer: ${spec.note}` } : {}) };
  });
}

const matches = (s: string, filter: string | undefined): boolean =>
  filter === undefined || (/[*?]/.test(filter) ? globMatch(s, filter) : s.includes(filter));

export const kprobesCommand: Command = {
  command: 'kprobes [filter]',
  describe: 'List the kernel functions bpfsim models (kprobe/fentry targets), their prototypes and the syscalls reaching them',
  builder: (y) =>
    y
      .positional('filter', { type: 'string', describe: 'substring, or glob (* ?) over function names (with --graph: over syscall names)' })
      .option('graph', { type: 'boolean', default: false, describe: "print each matching syscall's function graph (v6.18 call order, callees indented)" })
      .option('json', { type: 'boolean', default: false, describe: 'one JSON object per function: name, proto, reachedBy' }),
  async run(args, io) {
    const filter = args.filter === undefined ? undefined : String(args.filter);
    if (args.graph) {
      const out: string[] = [];
      for (const [names, text] of Object.entries(SYSCALL_GRAPHS)) {
        const hit = names.split(' ').filter((n) => matches(n, filter));
        if (!hit.length) continue;
        out.push(`${hit.join(', ')}:`, `  ${SYS}<name>`, ...text.split('\n').filter((l) => l.trim()).map((l) => `    ${l.trimEnd()}`), '');
      }
      if (!out.length) throw new CliExit(EXIT.failed, `no modelled syscall graph matches '${filter}'`);
      io.out(out.join('\n').trimEnd());
      return 0;
    }
    const list = rows().filter((r) => matches(r.name, filter));
    if (!list.length) throw new CliExit(EXIT.failed, `no modelled kernel function matches '${filter}' (bpfsim kprobes lists them all)`);
    if (args.json) io.out(list.map((r) => JSON.stringify(r)).join('\n'));
    else io.out(list.map((r) => `${r.proto}\n    ${r.note ?? (r.reachedBy.length ? `reached by: ${r.reachedBy.join(' ')}` : '')}`).join('\n'));
    return 0;
  },
};
