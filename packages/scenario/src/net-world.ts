/**
 * The network a scenario builds from its `network:` section, as `ip` and
 * `iptables-restore` would: namespaces, veth pairs, addresses, routes,
 * forwarding, rule sets, then XDP and tc programs on devices. Every device
 * is captured from the start (replay --pcap writes one file per device).
 */
import { BpfsimError } from '@bpfsim/uapi';
import { netfilterOf, XDP_FLAGS_DRV_MODE, XDP_FLAGS_SKB_MODE, type NetDevice, type NetNs, type Network } from '@bpfsim/kernel';
import type { LoadedScenario } from './load';
import { ScenarioError, type Place } from './errors';
import { FileRefused, readContained } from './files';
import type { NetworkSpec } from './net-format';
import type { World } from './world';

export interface NetWorld {
  /** The kernel's network, made (and every device captured) on first use. */
  readonly network: Network;
  /** Whether anything made the network yet. */
  readonly built: boolean;
  /** The scenario's directory and file policy, for the capture files events name. */
  loaded: LoadedScenario;
}

const worlds = new WeakMap<World, NetWorld>();

/** The scenario's network; registered for every scenario, made only when something uses it. */
export function netOf(world: World): NetWorld {
  const nw = worlds.get(world);
  if (!nw) throw new Error('netOf: setupNetwork was not called for this world');
  return nw;
}

function register(world: World, loaded: LoadedScenario): NetWorld {
  let made: Network | undefined;
  const nw: NetWorld = {
    get network(): Network {
      if (!made) {
        made = world.kernel.network;
        captureAll(made);
      }
      return made;
    },
    get built(): boolean {
      return made !== undefined;
    },
    loaded,
  };
  worlds.set(world, nw);
  return nw;
}

/** Every device of every namespace captures. */
function captureAll(net: Network): void {
  for (const ns of net.namespaces) for (const d of ns.devices) d.startCapture();
}

export function nsNamed(net: Network, name: string | undefined, at: Place): NetNs {
  try {
    return name === undefined || name === 'init' ? net.init : net.ns(name);
  } catch {
    throw new ScenarioError(at, `no network namespace '${name}' (namespaces: ${net.namespaces.map((n) => n.name).join(', ')})`);
  }
}

export function devNamed(net: Network, ns: string | undefined, device: string, at: Place): NetDevice {
  const n = nsNamed(net, ns, at);
  try {
    return n.device(device);
  } catch {
    throw new ScenarioError(at, `no device '${device}' in namespace '${n.name}' (devices: ${n.devices.map((d) => d.name).join(', ')})`);
  }
}

const ip4 = (s: string): number => s.split('.').reduce((a, p) => ((a << 8) | Number(p)) >>> 0, 0);

/** Build the `network:` section (called once the programs are loaded). */
export function setupNetwork(loaded: LoadedScenario, world: World): void {
  const nw = register(world, loaded);
  const spec: NetworkSpec | undefined = loaded.scenario.network;
  if (!spec) return;
  const net = nw.network;
  const at = (...rest: (string | number)[]): Place => ({ file: loaded.file, path: ['network', ...rest] });
  const guard = (where: Place, f: () => void): void => {
    try {
      f();
    } catch (e) {
      if (e instanceof ScenarioError) throw e;
      if (e instanceof BpfsimError) throw new ScenarioError(where, e.message);
      throw e;
    }
  };
  (spec.namespaces ?? []).forEach((n, i) => guard(at('namespaces', i), () => { if (n !== 'init') net.createNs(n); }));
  (spec.veth ?? []).forEach((v, i) => guard(at('veth', i), () => {
    net.addVeth(nsNamed(net, v.ns, at('veth', i, 'ns')), v.name, nsNamed(net, v.peer_ns ?? v.ns, at('veth', i, 'peer_ns')), v.peer, { mac: v.mac, peerMac: v.peer_mac, mtu: v.mtu });
  }));
  (spec.addresses ?? []).forEach((a, i) => guard(at('addresses', i), () => devNamed(net, a.ns, a.device, at('addresses', i, 'device')).addAddress(a.addr)));
  (spec.routes ?? []).forEach((r, i) => guard(at('routes', i), () => {
    const ns = nsNamed(net, r.ns, at('routes', i, 'ns'));
    const dev = r.device === undefined ? undefined : devNamed(net, r.ns, r.device, at('routes', i, 'device'));
    ns.fib.add({ dst: r.dst, dev, via: r.via === undefined ? undefined : ip4(r.via), metric: r.metric });
  }));
  (spec.forwarding ?? []).forEach((n, i) => { nsNamed(net, n, at('forwarding', i)).sysctl.ipForward = true; });
  (spec.iptables ?? []).forEach((r, i) => guard(at('iptables', i), () => {
    if ((r.rules === undefined) === (r.file === undefined)) throw new ScenarioError(at('iptables', i), "give the rule set as 'rules' (iptables-save text) or 'file', one of them");
    let text = r.rules;
    if (r.file !== undefined) {
      try {
        text = Buffer.from(readContained(r.file, loaded.dir, loaded.allowPaths, loaded.limits.maxDataBytes)).toString('utf8');
      } catch (e) {
        if (e instanceof FileRefused) throw new ScenarioError(at('iptables', i, 'file'), e.message);
        throw e;
      }
    }
    netfilterOf(nsNamed(net, r.ns, at('iptables', i, 'ns'))).restore(text!, r.file ?? `${loaded.file}: network.iptables[${i}].rules`);
  }));
  const prog = (p: string, where: Place) => {
    const h = world.programs.get(p);
    if (!h) throw new ScenarioError(where, world.verdicts.has(p) ? `program '${p}' was rejected by the verifier, so it cannot be attached` : `no program named '${p}'`);
    return h;
  };
  (spec.xdp ?? []).forEach((x, i) => guard(at('xdp', i), () => {
    const flags = x.mode === 'native' ? XDP_FLAGS_DRV_MODE : x.mode === 'generic' ? XDP_FLAGS_SKB_MODE : 0;
    devNamed(net, x.ns, x.device, at('xdp', i, 'device')).attachXdp(prog(x.program, at('xdp', i, 'program')), flags);
  }));
  (spec.tc ?? []).forEach((x, i) => guard(at('tc', i), () => {
    devNamed(net, x.ns, x.device, at('tc', i, 'device')).attachTc(x.dir, prog(x.program, at('tc', i, 'program')), { priority: x.priority });
  }));
  captureAll(net);
}

/**
 * One classic pcap per device that captured anything, named `dev-<namespace>-<device>.pcap`
 * (a prefix program files — `<program>.in.pcap` — never have), in namespace then ifindex order.
 */
export function devicePcaps(world: World): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const nw = worlds.get(world);
  if (!nw?.built) return out;
  for (const ns of nw.network.namespaces) {
    for (const dev of ns.devices) if (dev.captured.length > 0) out.set(`dev-${ns.name}-${dev.name}.pcap`, dev.pcap());
  }
  return out;
}
