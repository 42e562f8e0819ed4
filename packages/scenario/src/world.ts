/**
 * The kernel a scenario builds: its programs loaded (from objects or
 * assembly) with their verifier verdicts, and its maps by name.
 */
import { createHash } from 'crypto';
import { assemble } from '@bpfsim/isa';
import { BpfProgType, BpfsimError, errnoName } from '@bpfsim/uapi';
import { Kernel, ProgHandle, ProgLoadError, parseObject, type KernelOptions, type LoadedObject, type MapHandle } from '@bpfsim/kernel';
import type { Btf } from '@bpfsim/loader';
import type { LoadedScenario } from './load';
import { ScenarioError } from './errors';
import { FileRefused, readContained } from './files';
import { ProcWorld } from './proc-world';
import { setupNetwork } from './net-world';

export interface Verdict {
  accepted: boolean;
  errno: string | null;
  error: string | null;
  log: string;
}

export interface World {
  kernel: Kernel;
  /** Loaded programs by scenario name (rejected ones are absent). */
  programs: Map<string, ProgHandle>;
  /** Verifier verdicts by scenario name. */
  verdicts: Map<string, Verdict>;
  /** Maps by name; a name two objects share lists both (an event naming it is then ambiguous). */
  maps: Map<string, MapHandle[]>;
  /** sha256 of each object file, by its path as the scenario gives it. */
  objects: Record<string, string>;
  /** The BTF of the object each map came from, by map name (to decode its records). */
  btfByMap: Map<string, Btf>;
  /** The simulated processes the scenario drives, and the syscalls they made. */
  procs: ProcWorld;
}

/** The enum value of any kernel program type by its lowercase name without prefix ("xdp", "lwt_in", ...); uapi's progTypeByName covers only the types bpfsim describes. */
export function progTypeValue(name: string): number | undefined {
  const key = name.toUpperCase();
  const v = (BpfProgType as Record<string, number>)[key];
  return v === undefined || key === 'UNSPEC' ? undefined : v;
}

const ACCEPTED: Verdict = { accepted: true, errno: null, error: null, log: '' };

interface ObjectLoad {
  obj: LoadedObject;
  verdicts: Map<string, Verdict>;
}

export function buildWorld(loaded: LoadedScenario, seed: number, vmEngine?: KernelOptions['vmEngine']): World {
  const s = loaded.scenario;
  const kernel = new Kernel({ seed, cpus: s.kernel?.cpus ?? 2, vmEngine, mapMemoryLimit: loaded.limits?.maxMapMemoryBytes });
  // objects is keyed by user-given paths: no prototype, so '__proto__' is just a path.
  const world: World = { kernel, programs: new Map(), verdicts: new Map(), maps: new Map(), objects: Object.create(null), btfByMap: new Map(), procs: new ProcWorld(kernel) };
  const objects = new Map<string, ObjectLoad>();

  (s.programs ?? []).forEach((p, i) => {
    const at = (...rest: (string | number)[]) => ({ file: loaded.file, path: ['programs', i, ...rest] });
    const type = p.type === undefined ? undefined : progTypeValue(p.type);
    if (p.type !== undefined && type === undefined)
      throw new ScenarioError(at('type'), `unknown program type '${p.type}' (xdp, sched_cls, socket_filter, kprobe, tracepoint, ...)`);

    if (p.asm !== undefined) {
      let insns;
      try {
        insns = assemble(p.asm, { file: `${loaded.file}: programs[${i}].asm` });
      } catch (e) {
        if (e instanceof BpfsimError) throw new ScenarioError(at('asm'), e.message);
        throw e;
      }
      const r = kernel.bpf.progLoad({ progType: type!, insns, license: 'GPL', name: p.name.slice(0, 15), logLevel: 1 });
      world.verdicts.set(p.name, r.fd >= 0 ? ACCEPTED
        : { accepted: false, errno: errnoName(-r.fd) ?? `errno ${-r.fd}`, error: r.error || null, log: r.log });
      if (r.fd >= 0) world.programs.set(p.name, new ProgHandle(kernel, p.name, r.fd, r.prog!));
      return;
    }

    const objPath = p.object!;
    let ol = objects.get(objPath);
    if (!ol) {
      // Contained in the scenario's directory (or an allowed one), a regular file, within the size limit.
      let bytes: Uint8Array;
      try {
        bytes = readContained(objPath, loaded.dir, loaded.allowPaths, loaded.limits.maxObjectBytes);
      } catch (e) {
        if (e instanceof FileRefused) throw new ScenarioError(at('object'), e.message);
        throw e;
      }
      world.objects[objPath] = createHash('sha256').update(bytes).digest('hex');
      ol = loadKeepingVerdicts(kernel, bytes, objPath, type);
      objects.set(objPath, ol);
      for (const [name, m] of ol.obj.maps) {
        world.maps.set(name, [...(world.maps.get(name) ?? []), m]);
        if (ol.obj.object.btf) world.btfByMap.set(name, ol.obj.object.btf);
      }
    }
    const names = ol.obj.object.programs.map((x) => x.name);
    const fn = p.program ?? (names.length === 1 ? names[0] : undefined);
    if (fn === undefined)
      throw new ScenarioError(at(), `${objPath} holds ${names.length} programs (${names.join(', ')}): name one with 'program'`);
    if (!names.includes(fn)) throw new ScenarioError(at('program'), `${objPath} has no program '${fn}' (it has: ${names.join(', ')})`);
    world.verdicts.set(p.name, ol.verdicts.get(fn)!);
    const handle = ol.obj.programs.get(fn);
    if (handle) world.programs.set(p.name, handle);
  });
  // The starting world (files, then processes), before any program is attached: a booted system's state.
  world.procs.setupFiles(s.files ?? [], (i, ...rest) => ({ file: loaded.file, path: ['files', i, ...rest] }));
  (s.processes ?? []).forEach((p, i) => world.procs.createProcess(-1, p, (...rest) => ({ file: loaded.file, path: ['processes', i, ...rest] })));
  setupNetwork(loaded, world); // `network:` (namespaces, devices, rules, XDP/tc), once the programs are loaded
  // Attach after every program is loaded, in declaration order (the order a hook runs them).
  (s.programs ?? []).forEach((p, i) => {
    if (p.attach === undefined) return;
    const handle = world.programs.get(p.name);
    if (!handle) return; // rejected: its verdict says why
    try {
      handle.attach(p.attach, p.cookie);
    } catch (e) {
      if (e instanceof BpfsimError) throw new ScenarioError({ file: loaded.file, path: ['programs', i, 'attach'] }, e.message);
      throw e;
    }
  });
  return world;
}

/**
 * Load every program of an object, as libbpf does; a program the verifier
 * rejects is recorded and the object loaded again without it, so one bad
 * program does not hide the verdicts of the others.
 */
function loadKeepingVerdicts(kernel: Kernel, bytes: Uint8Array, file: string, progType?: number): ObjectLoad {
  const parsed = parseObject(bytes, file, kernel);
  const verdicts = new Map<string, Verdict>();
  for (;;) {
    const names = parsed.programs.map((p) => p.name).filter((n) => !verdicts.has(n));
    try {
      const obj = kernel.loadObject(parsed, { file, programs: names, progType });
      for (const n of names) verdicts.set(n, ACCEPTED);
      return { obj, verdicts };
    } catch (e) {
      if (!(e instanceof ProgLoadError) || verdicts.has(e.progName)) throw e;
      verdicts.set(e.progName, { accepted: false, errno: errnoName(e.errno) ?? `errno ${e.errno}`, error: e.error || null, log: e.log });
    }
  }
}
