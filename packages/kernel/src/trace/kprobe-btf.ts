/**
 * A kernel function's prototype as C, from the profile BTF's FUNC and FUNC_PROTO (what the
 * function table of kprobe-funcs.ts states, and what `bpfsim kprobes` prints).
 */
import type { Btf } from '@bpfsim/loader';
import { vmlinuxBtf } from '../bpf/vmlinux-btf';

/** A type as C spells it before a name ("struct file *", "const char *", "umode_t"). */
function typeName(btf: Btf, id: number): string {
  if (id === 0) return 'void';
  const t = btf.types[id] as { kind: number; name: string; type?: number; elemType?: number };
  switch (t.kind) {
    case 2: { const to = typeName(btf, t.type!); return to.endsWith('*') ? `${to}*` : `${to} *`; }
    case 1: case 8: return t.name;
    case 4: return `struct ${t.name}`;
    case 5: return `union ${t.name}`;
    case 6: case 19: return `enum ${t.name}`;
    case 9: return `volatile ${typeName(btf, t.type!)}`;
    case 10: return `const ${typeName(btf, t.type!)}`;
    case 11: return typeName(btf, t.type!);
    default: return `(kind ${t.kind})`;
  }
}

const join = (type: string, name: string) => (type.endsWith('*') ? `${type}${name}` : `${type} ${name}`);

/** "int vfs_open(const struct path *path, struct file *file)", or undefined when the BTF has no such FUNC. */
export function kfuncPrototype(fn: string, btf: Btf = vmlinuxBtf()): string | undefined {
  const f = btf.types.find((t) => t.kind === 12 && t.name === fn) as { type: number } | undefined;
  if (!f) return undefined;
  const p = btf.types[f.type] as { kind: number; returnType?: number; params?: { name: string; type: number }[] };
  const params = (p.params ?? []).map((x) => join(typeName(btf, x.type), x.name));
  return `${join(typeName(btf, p.returnType ?? 0), fn)}(${params.length ? params.join(', ') : 'void'})`;
}
