/**
 * `ip route add` arguments as text ("10.0.0.0/8 via 10.1.0.254 metric 5",
 * "default dev veth0", "unreachable 40.0.0.0/8", "20.0.0.0/8 dev r1 src 10.0.0.1")
 * into a FIB route of a namespace: what a scenario or a test writes.
 */
import { BpfsimError } from '@bpfsim/uapi';
import type { NetNs } from '../netns';
import type { FibRoute, RouteSpec } from './fib';
import { ip4 } from './inaddr';

const TYPES = new Set(['unicast', 'unreachable', 'blackhole', 'prohibit']);

export function addRouteText(ns: NetNs, text: string): FibRoute {
  const w = text.trim().split(/\s+/);
  const spec: Partial<RouteSpec> = {};
  let i = 0;
  if (TYPES.has(w[0])) spec.type = w[i++] as RouteSpec['type'];
  const dst = w[i++];
  if (!dst) throw new BpfsimError('EINVAL', `route "${text}": no destination`);
  spec.dst = dst;
  for (; i < w.length; i += 2) {
    const v = w[i + 1];
    if (v === undefined) throw new BpfsimError('EINVAL', `route "${text}": ${w[i]} needs a value`);
    switch (w[i]) {
      case 'via': spec.via = ip4(v, `route "${text}" gateway`); break;
      case 'dev': spec.dev = ns.device(v); break;
      case 'metric': case 'preference': spec.metric = Number(v); break;
      case 'src': spec.src = ip4(v, `route "${text}" source`); break;
      default: throw new BpfsimError('EINVAL', `route "${text}": unknown keyword ${w[i]}`);
    }
  }
  return ns.fib.add(spec as RouteSpec);
}
