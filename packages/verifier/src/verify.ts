/** verify(): the kernel's bpf_check, pass by pass, producing the verdict, errno and log. */
import type { Insn } from '@bpfsim/isa';
import { progTypeInfo, BpfProgType, BpfProgTypeName, BpfAttachTypeName, isGplCompatible, loadAttachType } from '@bpfsim/uapi';
import type { VerifyOptions, VerifyResult } from './api';
import { Checker } from './check';
import { ProgFuncs } from './global-func';
import { checkAttachTarget, needsTrampoline, type AttachTarget } from './btf-ctx';
import { SYNC_CALLBACK_HELPERS } from './callback';
import { Reject } from './errors';
import { explain } from './explain';
import { pathText } from './path';
import { liveRegsBefore, liveStr } from './live';
import { VLog, logAttrValid, BPF_LOG_FIXED, LOG_SIZE_MAX } from './log';
import { checkCfg, findSubprogs, resolveLdImm64, subprogFlags, successors, type SubprogFlags } from './structure';
import { insnText } from './text';


function stats(c: Checker | null): string {
  return `processed ${c?.processed ?? 0} insns (limit 1000000) max_states_per_insn ${c?.maxStatesPerInsn ?? 0} total_states ${c?.totalStates ?? 0} peak_states ${c?.peakStates ?? 0} mark_read 0\n`;
}

function result(log: VLog, accepted: boolean, errno: string | null, error: string | null, c: Checker | null, insnIdx?: number): VerifyResult {
  // bpf_vlog_finalize: a log that did not fit the buffer fails the load, whatever the verdict
  if (log.truncated) { accepted = false; errno = 'ENOSPC'; }
  const r: VerifyResult = {
    accepted, errno, error, processed: c?.processed ?? 0, log: log.size === 0 ? '' : log.buf, logTrueSize: log.lenMax,
    stats: { maxStatesPerInsn: c?.maxStatesPerInsn ?? 0, totalStates: c?.totalStates ?? 0, peakStates: c?.peakStates ?? 0, markRead: 0 },
  };
  if (insnIdx !== undefined) r.insnIdx = insnIdx;
  if (c && !accepted) r.path = pathText(c.path);
  if (error) { const e = explain(error); if (e) r.explanation = e; }
  return r;
}

/** Decide whether the kernel would load `prog`, and explain it in the kernel's words. */
export function verify(prog: readonly Insn[], opts: VerifyOptions): VerifyResult {
  const level = opts.logLevel ?? 1;
  const log = new VLog(level, opts.logSize === undefined ? Infinity : opts.logSize, opts.logFixed ?? false);
  const fail = (msg: string, errno: string, c: Checker | null = null, idx?: number): VerifyResult => {
    log.write(msg + '\n');
    log.write(stats(c));
    return result(log, false, errno, msg.split('\n').pop()!, c, idx);
  };
  // bpf_prog_load, before the verifier
  if (prog.length === 0 || prog.length > 1_000_000) return result(new VLog(0), false, 'E2BIG', null, null);
  const info = progTypeInfo(opts.progType);
  if (needsTrampoline(opts)) {
    // bpf_prog_load on the reference machine: no BPF trampolines, EPERM and an empty log
    return { ...result(new VLog(0), false, 'EPERM', null, null), explanation: 'fentry/fexit/fmod_ret and lsm programs attach through a BPF trampoline, which the reference kernel refuses (EPERM) before verifying; use tp_btf/ or kprobe/ instead.' };
  }
  if (!info) {
    return result(new VLog(0), false, 'EINVAL', `bpfsim does not describe program type ${BpfProgTypeName[opts.progType] ?? opts.progType}`, null);
  }
  // bpf_prog_load_check_attach: a wrong expected_attach_type is EINVAL before verification, with no log
  const attachType = loadAttachType(info, opts.expectedAttachType);
  if (attachType === null) {
    const r = result(new VLog(0), false, 'EINVAL', null, null);
    const name = (a: number | undefined): string => (a === undefined ? 'none' : BpfAttachTypeName[a] ?? String(a));
    r.explanation = `bpf_prog_load refuses expected_attach_type ${name(opts.expectedAttachType)} for ${BpfProgTypeName[info.type]}; ` +
      `it takes one of ${(info.attachTypes ?? []).map(name).join(', ')}`;
    return r;
  }
  if (attachType !== (opts.expectedAttachType ?? 0)) opts = { ...opts, expectedAttachType: attachType };
  // bpf_check: bpf_vlog_init refuses inconsistent log attributes before anything is logged
  if (opts.logSize !== undefined && (!Number.isSafeInteger(opts.logSize) || !logAttrValid(level | (opts.logFixed ? BPF_LOG_FIXED : 0), opts.logSize > 0, opts.logSize))) {
    return { ...result(new VLog(0), false, 'EINVAL', null, null), explanation: `bpf_vlog_init refuses log_size ${opts.logSize} with log_level ${level}: a log buffer needs a log level and 1 to ${LOG_SIZE_MAX} bytes` };
  }
  const sp = findSubprogs(prog, { gpl: isGplCompatible(opts.license ?? 'GPL'), btf: () => opts.kernelBtf });
  const subprogList = 'msg' in sp ? sp.subprogs ?? [] : sp.subprogs;
  if (level === 2) for (let i = 0; i < subprogList.length; i++) log.write(`func#${i} @${subprogList[i]}\n`);
  if ('msg' in sp) return fail(sp.msg, sp.errno);
  const flags = subprogFlags(prog, sp.subprogs);
  if (!opts.btfFuncInfo && !opts.funcInfo) {
    const abnormal = checkAbnormalReturn(flags);
    if (abnormal) return fail(abnormal, 'EINVAL');
  }
  // check_attach_btf_id: a tracing program's target in the kernel BTF
  let attach: AttachTarget | undefined;
  if (info.type === BpfProgType.TRACING) {
    try { attach = checkAttachTarget(opts); } catch (e) {
      if (!(e instanceof Reject)) throw e;
      if (e.msg) return fail(e.msg, e.errno);
      log.write(stats(null));
      return result(log, false, e.errno, null, null);
    }
  }
  const ld = resolveLdImm64(prog, opts.maps ?? []);
  if ('msg' in ld) return fail(ld.msg, ld.errno);
  const cfgErr = checkCfg(prog, sp.subprogs);
  if (cfgErr) return fail(cfgErr.msg, cfgErr.errno);
  const live = liveRegsBefore(prog);
  if (level === 2) {
    log.write('Live regs before insn:\n');
    for (let i = 0; i < prog.length; i++) {
      log.write(`${String(i).padStart(7)}: ${liveStr(live[i])} ${insnText(prog, i, ld.ldMaps)}\n`);
      if (prog[i].code === 0x18) i++;
    }
  }
  const prune = new Uint8Array(prog.length);
  for (let i = 0; i < prog.length; i++) {
    const insn = prog[i];
    const cls = insn.code & 7;
    if (insn.code === 0x18 && insn.src === 4) {
      // visit_func_call_insn for a callback's address: the lddw, the next insn and the callback
      for (const p of [i, i + 2, i + insn.imm + 1]) if (p >= 0 && p < prog.length) prune[p] = 1;
      continue;
    }
    if (cls !== 5 && cls !== 6) continue;
    const o = insn.code & 0xf0;
    if (o === 0x90) continue;
    if (o === 0x80) {
      if (i + 1 < prog.length) prune[i + 1] = 1;
      if (insn.src === 1 || (insn.src === 0 && SYNC_CALLBACK_HELPERS.has(insn.imm))) prune[i] = 1;
      // push_insn(BRANCH): a bpf-to-bpf callee's first instruction is a prune point too
      const w = i + insn.imm + 1;
      if (insn.src === 1 && w >= 0 && w < prog.length) prune[w] = 1;
      continue;
    }
    const succ = successors(prog, i);
    if (o === 0x00) { for (const s of succ) if (s >= 0 && s < prog.length) prune[s] = 1; continue; }
    prune[i] = 1;
    for (const s of succ) if (s >= 0 && s < prog.length && s !== i + 1) prune[s] = 1;
  }
  const c = new Checker(prog, opts, info, sp.subprogs, ld.ldMaps, prune, live, log);
  c.attach = attach;
  c.funcs = new ProgFuncs(opts.progBtf, opts.funcInfo && opts.progBtf ? opts.funcInfo.map((f) => f.typeId) : undefined, opts.progType);
  // do_check_main, then do_check_subprogs: every global function a verified path called, on its own,
  // again until no new one is called
  const verified = new Set<number>();
  const pass = { pos: 0, fresh: false };
  for (let k: number | undefined = 0; k !== undefined;) {
    try {
      if (k === 0) {
        // the main program's own prototype is read (and its problems logged) but never refuses it
        if (c.funcs.hasFuncInfo && c.funcs.isGlobal(0)) c.funcs.prepare(0, (s) => log.write(s));
        c.run();
      } else {
        if (level) log.write(`Validating ${c.funcs.name(k)}() func#${k}...\n`);
        const args = c.funcs.prepare(k, (s) => log.write(s));
        if (args instanceof Reject) { log.write(stats(c)); return result(log, false, args.errno, args.msg, c); }
        c.run(k, args);
      }
    } catch (e) {
      if (!(e instanceof Reject)) throw e;
      if (e.msg.startsWith('@@logged@@')) return fail(e.msg.slice('@@logged@@'.length), e.errno, c, c.idx);
      return fail(e.msg, e.errno, c, c.idx);
    }
    // do_check_common: at level 1 a fully verified function's log is dropped (only later errors and stats remain)
    if (level === 1) log.reset(0);
    if (k && level) log.write(`Func#${k} ('${c.funcs.name(k)}') is safe for any args that match its prototype\n`);
    verified.add(k);
    k = nextGlobal(c, verified, pass);
  }
  const stackErr = checkMaxStackDepth(prog, sp.subprogs, flags, c.stackDepth, opts.privateStack === false ? -1 : info.type);
  if (stackErr) return fail(stackErr.msg, stackErr.errno, c);
  log.write(stats(c));
  return result(log, true, null, null, c);
}

/**
 * do_check_subprogs' order: passes over the functions by number, verifying each called global one not
 * yet verified; another pass while the last one verified any.
 */
function nextGlobal(c: Checker, verified: ReadonlySet<number>, pass: { pos: number; fresh: boolean }): number | undefined {
  for (;;) {
    for (let k = pass.pos + 1; k < c.subprogs.length; k++) {
      if (c.funcs.isGlobal(k) && c.calledGlobals.has(k) && !verified.has(k)) { pass.pos = k; pass.fresh = true; return k; }
    }
    if (!pass.fresh) return undefined;
    pass.pos = 0;
    pass.fresh = false;
  }
}

/** Program types whose JIT gives large subprogram frames a private stack (bpf_enable_priv_stack). */
const PRIV_STACK_TYPES = new Set([2, 5, 7, 17]);

/** check_abnormal_return: without BTF, subprograms may not tail call or use LD_ABS/LD_IND. */
function checkAbnormalReturn(flags: readonly SubprogFlags[]): string | null {
  for (let k = 1; k < flags.length; k++) {
    if (flags[k].hasLdAbs) return 'LD_ABS is not allowed in subprogs without BTF';
    if (flags[k].hasTailCall) return 'tail_call is not allowed in subprogs without BTF';
  }
  return null;
}

/**
 * check_max_stack_depth: walk the static call graph from the main program; the stack used along a
 * chain (each frame rounded up to 16 bytes with the JIT on) must stay within 512 bytes. `progType`
 * -1: the JIT has no private stacks (bpf_enable_priv_stack answers NO_PRIV_STACK).
 */
function checkMaxStackDepth(
  prog: readonly Insn[], subprogs: readonly number[], flags: readonly SubprogFlags[], depths: readonly number[], progType: number,
): { msg: string; errno: string } | null {
  const round = (d: number): number => Math.ceil(d / 16) * 16;
  const end = (i: number): number => (i + 1 < subprogs.length ? subprogs[i + 1] : prog.length);
  const find = (start: number): number => subprogs.indexOf(start);
  // a tail call anywhere keeps every frame on the normal kernel stack
  const privOk = PRIV_STACK_TYPES.has(progType) && !flags.some((f) => f.hasTailCall);
  const priv = (i: number): boolean => privOk && round(depths[i]) >= 64;
  const walk = (idx: number, frame: number, depth: number, chain: number): { msg: string; errno: string } | null => {
    // a tail call unwinds only its own frame: the callers' stacks stay (32 tail calls * 256 bytes at most)
    if (idx && depth >= 256 && flags[idx].hasTailCall) {
      return { msg: `tail_calls are not allowed when call stack of previous frames is ${depth} bytes. Too large`, errno: 'EACCES' };
    }
    const d = round(depths[idx]);
    if (priv(idx)) {
      if (d > 512) return { msg: `stack size of subprog ${idx} is ${d}. Too large`, errno: 'EACCES' };
    } else {
      depth += d;
      if (depth > 512) return { msg: `combined stack size of ${chain} calls is ${depth}. Too large`, errno: 'EACCES' };
    }
    for (let i = subprogs[idx]; i < end(idx); i++) {
      const insn = prog[i];
      // bpf-to-bpf calls, and callbacks (lddw BPF_PSEUDO_FUNC): bpf_loop & co. run them on this stack
      if (!(insn.code === 0x85 && insn.src === 1) && !(insn.code === 0x18 && insn.src === 4)) continue;
      const callee = find(i + insn.imm + 1);
      if (callee < 0) continue;
      if (frame + 1 >= 8) return { msg: `the call stack of ${frame + 1} frames is too deep !`, errno: 'E2BIG' };
      const e = walk(callee, frame + 1, depth, chain + 1);
      if (e) return e;
    }
    return null;
  };
  return walk(0, 0, 0, 1);
}
