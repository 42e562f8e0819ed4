import type { Command } from '../command';
import { BpfAttachTypeName, BpfProgTypeName, PROG_TYPES, progTypeByName, isBpfsimError } from '@bpfsim/uapi';
import { verify, explain } from '@bpfsim/verifier';
import { Kernel, ProgLoadError, lazyVmlinuxBtf, parseObject } from '@bpfsim/kernel';
import type { BpfObject } from '@bpfsim/loader';
import { Insn } from '@bpfsim/isa';
import { CliExit, type Io } from '../io';
import { programFromBytes, readFileBytes, sniffProgramFile } from '../program-file';
import { selectPrograms } from '../elf-programs';

/** One program's verdict, as `--json` prints it. */
interface Verdict {
  file: string;
  program?: string;
  section?: string;
  type?: string;
  accepted: boolean;
  errno: string | null;
  error: string | null;
  processed: number;
  log: string;
  path?: string[];
  insnIdx?: number;
  explanation?: string;
}

const processedIn = (log: string): number => Number(/processed (\d+) insns/.exec(log)?.[1] ?? 0);

/**
 * A raw program's slots as they are, unchecked: bpf(BPF_PROG_LOAD) takes any 8-byte words and the
 * verifier refuses a bad encoding (unknown opcode, reserved fields, R11+, a broken lddw) with EINVAL
 * and its message, so that is a verdict here too, not an unreadable file. Only a length that is not
 * whole instructions (which no prog load can express) stays an input error.
 */
function rawProgram(bytes: Uint8Array, file: string): readonly Insn[] {
  if (bytes.length % 8 !== 0) return programFromBytes(bytes, file);
  return Array.from({ length: bytes.length / 8 }, (_, i) => Insn.fromBytes(bytes, i * 8));
}

/**
 * The programs of an ELF object, each loaded on its own into a fresh simulated kernel as
 * libbpf would load it (maps created, references fixed up), so the verifier sees what the
 * kernel's would.
 */
function verifyObject(obj: BpfObject, file: string, names: string[], logLevel: 0 | 1 | 2): Verdict[] {
  return names.map((name) => {
    const spec = obj.programs.find((p) => p.name === name)!;
    // A fresh kernel per program: one rejection must not keep the others from loading.
    const base = { file, program: name, section: spec.section, type: (BpfProgTypeName[spec.progType] ?? `type ${spec.progType}`).replace(/^BPF_PROG_TYPE_/, '').toLowerCase() };
    try {
      // verify-only: the verdict is the verifier's, even where bpfsim cannot run a helper yet; the
      // reference machine's verdict, so without BPF trampolines (fentry/fexit EPERM, docs/tracing.md)
      const loaded = new Kernel({ verifyOnly: true, trampolines: false }).loadObject(obj, { file, logLevel, programs: [name] });
      const prog = loaded.program(name).prog;
      return { ...base, accepted: true, errno: null, error: null, processed: prog.processed, log: prog.log };
    } catch (e) {
      if (!(e instanceof ProgLoadError)) throw e;
      const errno = e.code;
      return { ...base, accepted: false, errno, error: e.error || null, processed: processedIn(e.log), log: e.log, explanation: e.error ? explain(e.error) : undefined };
    }
  });
}

function print(v: Verdict, json: boolean, io: Io): void {
  if (json) {
    const { file, program, section, type, accepted, errno, error, processed, log } = v;
    io.out(JSON.stringify(program !== undefined ? { file, program, section, type, accepted, errno, error, processed, log } : { file, accepted, errno, error, processed, log }));
    return;
  }
  const who = v.program !== undefined ? `${v.file}: ${v.program} (${v.section})` : v.file;
  if (v.log) io.out(v.log.replace(/\n$/, ''));
  if (v.accepted) io.out(`${who}: accepted (${v.processed} insns processed)`);
  else {
    io.out(`${who}: rejected: ${v.errno}: ${v.error ?? ''}`);
    if (v.path?.length) io.out(`  path to the failing instruction${v.insnIdx !== undefined ? ` ${v.insnIdx}` : ''}:\n${v.path.map((p) => `    ${p}`).join('\n')}`);
    if (v.explanation) io.out(`  why: ${v.explanation}`);
  }
}

/**
 * `bpfsim verify <file...>`: would the kernel load these programs, and why not. Prints the
 * verifier log then the verdict (or one JSON object per program with --json). Exit 0 when all are
 * accepted, 1 when any is rejected, 2 when an input cannot be read.
 */
/** --attach-type: BPF_CGROUP_INET4_CONNECT as cgroup_inet4_connect (any case, BPF_ prefix optional). */
function attachTypeByName(name: string): number {
  const want = `BPF_${name.toUpperCase().replace(/^BPF_/, '')}`;
  for (const [v, n] of Object.entries(BpfAttachTypeName)) if (n === want) return Number(v);
  const names = [...new Set(Object.values(BpfAttachTypeName))].map((n) => n.replace(/^BPF_/, '').toLowerCase());
  throw new CliExit(2, `--attach-type: unknown attach type '${name}' (expected one of: ${names.join(', ')})`);
}

export const verifyCommand: Command = {
  command: 'verify <file...>',
  describe: "Check programs with the kernel verifier's rules and explain a rejection",
  builder: (y) =>
    y
      .positional('file', { type: 'string', array: true, describe: 'programs: ELF objects (every program), assembly or raw instruction words' })
      .option('type', { type: 'string', describe: `program type of assembly/raw input (default socket_filter; ELF: from the section): ${PROG_TYPES.map((p) => p.name).join(', ')}` })
      .option('attach-type', {
        type: 'string',
        describe: 'expected_attach_type of assembly/raw input, the kernel\'s name without BPF_ (cgroup_inet4_connect, sk_skb_stream_verdict, ...; ELF: from the section)',
      })
      .option('prog', { type: 'string', describe: 'ELF: only the program with this function name' })
      .option('section', { type: 'string', describe: 'ELF: only the programs of this section' })
      .option('log-level', { type: 'number', choices: [0, 1, 2], default: 1, describe: 'verifier log level' })
      .option('json', { type: 'boolean', default: false, describe: 'one JSON object per program, one per line' }),
  async run(args, io) {
    const info = progTypeByName(String(args.type ?? 'socket_filter'));
    if (!info) throw new CliExit(2, `--type: unknown program type '${String(args.type)}' (expected one of: ${PROG_TYPES.map((p) => p.name).join(', ')})`);
    const logLevel = Number(args['log-level'] ?? 1) as 0 | 1 | 2;
    const expectedAttachType = args['attach-type'] === undefined ? undefined : attachTypeByName(String(args['attach-type']));
    let code = 0;
    for (const file of (args.file as string[]).map(String)) {
      let verdicts: Verdict[];
      try {
        const bytes = readFileBytes(file);
        if (sniffProgramFile(bytes) === 'elf') {
          const obj = parseObject(bytes, file, new Kernel());
          const names = selectPrograms(obj, { section: args.section as string | undefined, prog: args.prog as string | undefined }).map((p) => p.name);
          verdicts = verifyObject(obj, file, names, logLevel);
        } else {
          const prog = sniffProgramFile(bytes) === 'raw' ? rawProgram(bytes, file) : programFromBytes(bytes, file);
          const r = verify(prog, { progType: info.type, logLevel, expectedAttachType, kernelBtf: lazyVmlinuxBtf });
          verdicts = [{ file, ...r, error: r.error, errno: r.errno }];
        }
      } catch (e) {
        if (!isBpfsimError(e)) throw e;
        io.err(`bpfsim: ${e.message}`);
        code = 2;
        continue;
      }
      for (const v of verdicts) {
        if (!v.accepted && code === 0) code = 1;
        print(v, Boolean(args.json), io);
      }
    }
    return code;
  },
};
