/** How deeply plain data (lists and mappings) nests, measured without recursion. */
export function nestingDepth(root: unknown, stopAt = Infinity): number {
  let max = 0;
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (d > max) {
      max = d;
      if (max > stopAt) return max;
    }
    if (Array.isArray(v)) for (const x of v) stack.push([x, d + 1]);
    else if (v && typeof v === 'object' && !(v instanceof Uint8Array)) for (const x of Object.values(v)) stack.push([x, d + 1]);
  }
  return max;
}

/** Whether two plain data values are equal, compared without recursion (any depth). */
export function samePlain(a: unknown, b: unknown): boolean {
  const stack: [unknown, unknown][] = [[a, b]];
  while (stack.length) {
    const [x, y] = stack.pop()!;
    if (x === y) continue;
    if (x instanceof Uint8Array || y instanceof Uint8Array) {
      if (!(x instanceof Uint8Array && y instanceof Uint8Array) || !Buffer.from(x).equals(Buffer.from(y))) return false;
      continue;
    }
    if (Array.isArray(x) || Array.isArray(y)) {
      if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length) return false;
      for (let i = 0; i < x.length; i++) stack.push([x[i], y[i]]);
      continue;
    }
    if (!x || !y || typeof x !== 'object' || typeof y !== 'object') return false;
    const kx = Object.keys(x).filter((k) => (x as Record<string, unknown>)[k] !== undefined).sort();
    const ky = Object.keys(y).filter((k) => (y as Record<string, unknown>)[k] !== undefined).sort();
    if (kx.length !== ky.length || kx.some((k, i) => k !== ky[i])) return false;
    for (const k of kx) stack.push([(x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k]]);
  }
  return true;
}
