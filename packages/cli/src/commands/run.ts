import type { Command } from '../command';
import { testRunProgram } from '@bpfsim/kernel';
import { InputError, parseHexArg, programFromBytes, readFileBytes, sniffProgramFile, toHex } from '../program-file';
import { runConvention } from '../run-convention';
import { parseElf, selectPrograms } from '../elf-programs';
import { clip, progTypeValue } from '@bpfsim/scenario';
import { intOption } from '../args';
import type { Engine } from '@bpfsim/vm';

/** Most runs one `bpfsim run` does (--repeat): the same cap as a scenario's run event. */
export const RUN_REPEAT_MAX = 1_000_000;
/** Most instructions a bare run may be given with --max-insns. */
export const RUN_INSNS_MAX = 1_000_000_000;

const hex64 = (v: bigint) => '0x' + BigInt.asUintN(64, v).toString(16).padStart(16, '0');

export const runCommand: Command = {
  command: 'run <file>',
  describe: 'Run a program. With --type or an ELF object: what BPF_PROG_TEST_RUN does. Otherwise r1 = --mem-hex memory, r2 = its length',
  builder: (y) =>
    y
      .positional('file', { type: 'string', describe: 'ELF object, assembly (kernel or uBPF syntax) or raw instruction words' })
      .option('type', { type: 'string', describe: 'program type (xdp, sched_cls, socket_filter, kprobe, ...): run as the kernel test-runs it' })
      .option('prog', { type: 'string', describe: 'program of an ELF object, by function name (default: the first)' })
      .option('section', { type: 'string', describe: 'program of an ELF object, by section (the first there)' })
      .option('data-hex', { type: 'string', describe: 'data_in (the packet) as hex bytes' })
      .option('data', { type: 'string', describe: 'data_in read from a file' })
      .option('ctx-hex', { type: 'string', describe: 'ctx_in as hex bytes (the whole context for types without a test run)' })
      .option('repeat', { type: 'string', describe: `runs (BPF_PROG_TEST_RUN repeat), 1 to ${RUN_REPEAT_MAX} (default 1)` })
      .option('seed', { type: 'string', default: 'bpfsim', describe: 'kernel seed' })
      .option('mem-hex', { type: 'string', describe: 'input memory as hex bytes (bare programs without --type)' })
      .option('max-insns', { type: 'string', describe: `stop a bare run after this many instructions (default 10000000, at most ${RUN_INSNS_MAX})` })
      .option('engine', { type: 'string', choices: ['compiled', 'interp'], describe: 'VM engine: compiled (JavaScript per program) or interp (the reference interpreter); same results' })
      .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON' }),
  async run(args, io) {
    // Checked before anything is read or run: a NaN or 1e308 never reaches the kernel model.
    const repeat = intOption(args, 'repeat', 1, RUN_REPEAT_MAX) ?? 1;
    const maxInsns = intOption(args, 'max-insns', 1, RUN_INSNS_MAX) ?? 10_000_000;
    const engine = (args.engine ?? 'compiled') as Engine;
    const file = String(args.file);
    const bytes = readFileBytes(file);
    const isElf = sniffProgramFile(bytes) === 'elf';
    if (!isElf && args.type === undefined) {
      if (args['data-hex'] !== undefined || args.data !== undefined || args['ctx-hex'] !== undefined)
        throw new InputError('--data-hex, --data and --ctx-hex need --type (or an ELF object): a bare program gets --mem-hex');
      const prog = programFromBytes(bytes, file);
      const mem = args['mem-hex'] !== undefined ? parseHexArg(String(args['mem-hex']), '--mem-hex') : new Uint8Array(0);
      const res = runConvention(prog, mem, { maxInsns, file, engine });
      if (args.json) io.out(JSON.stringify({ r0: hex64(res.r0), insns: res.insns }));
      else io.out(hex64(res.r0));
      return 0;
    }
    let progType: number | undefined;
    if (args.type !== undefined) {
      progType = progTypeValue(String(args.type));
      if (progType === undefined) throw new InputError(`--type: unknown program type '${clip(String(args.type))}' (xdp, sched_cls, socket_filter, kprobe, tracepoint, ...)`);
    }
    const dataIn = args.data !== undefined ? readFileBytes(String(args.data))
      : args['data-hex'] !== undefined ? parseHexArg(String(args['data-hex']), '--data-hex') : undefined;
    const ctxIn = args['ctx-hex'] !== undefined ? parseHexArg(String(args['ctx-hex']), '--ctx-hex') : undefined;
    let object;
    let progName: string | undefined;
    if (isElf) {
      object = parseElf(bytes, file);
      progName = selectPrograms(object, { prog: args.prog as string | undefined, section: args.section as string | undefined })[0].name;
    } else if (args.prog !== undefined || args.section !== undefined) throw new InputError('--prog and --section need an ELF object');
    const r = testRunProgram({
      file, progType, dataIn, ctxIn, repeat, seed: String(args.seed), vmEngine: engine,
      ...(object ? { object, progName } : { insns: programFromBytes(bytes, file) }),
    });
    const out = {
      retval: r.retval, r0: hex64(r.r0), dataOut: r.dataOut ? toHex(r.dataOut) : '', ctxOut: r.ctxOut ? toHex(r.ctxOut) : '',
      duration: r.duration, insns: r.insns,
    };
    if (args.json) io.out(JSON.stringify(out));
    else {
      io.out(`${r.progName} (${r.progType}): retval ${r.retval} (r0 ${out.r0}), ${r.insns} insns, ${r.duration} ns`);
      if (out.dataOut) io.out(`data_out: ${out.dataOut}`);
      if (out.ctxOut) io.out(`ctx_out:  ${out.ctxOut}`);
      for (const l of r.tracePipe) io.out(l);
    }
    return 0;
  },
};
