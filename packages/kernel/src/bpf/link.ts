/**
 * Attachment. A hook is a named point the simulated kernel fires (later
 * issues add syscalls, tracepoints, kprobes and the packet path); attaching a
 * program makes a link. `hooks.fire(name, ctxBuilder)` runs every program
 * attached to `name`, in attach order, each on a context the builder makes.
 */
import type { BpfProg } from './prog';

export interface BpfLink {
  readonly id: number;
  readonly prog: BpfProg;
  readonly hook: string;
  readonly attachType: number;
  /** bpf_get_attach_cookie */
  readonly cookie: bigint;
  detached: boolean;
}

/** What the hook's owner gives for one program: the context to run it on. */
export type CtxBuilder<C> = (link: BpfLink) => C;

export class HookRegistry<C, R> {
  private readonly byHook = new Map<string, BpfLink[]>();
  /** Changes with every add and remove (hooks that cache who is attached compare it). */
  version = 0;

  /** `runOne` is the kernel's run path (run.ts). */
  constructor(private readonly runOne: (link: BpfLink, ctx: C) => R) {}

  add(link: BpfLink): void {
    const list = this.byHook.get(link.hook) ?? [];
    list.push(link);
    this.byHook.set(link.hook, list);
    this.version++;
  }

  remove(link: BpfLink): boolean {
    const list = this.byHook.get(link.hook);
    const i = list ? list.indexOf(link) : -1;
    if (!list || i < 0) return false;
    list.splice(i, 1);
    if (list.length === 0) this.byHook.delete(link.hook);
    this.version++;
    return true;
  }

  /** Links on a hook, in attach order. */
  links(hook: string): readonly BpfLink[] {
    return this.byHook.get(hook) ?? [];
  }

  /** Hook names with something attached, sorted. */
  names(): string[] {
    return [...this.byHook.keys()].sort();
  }

  /**
   * Run every program attached to `hook`, in attach order, each on the
   * context `build` makes for its link; returns the results in that order.
   */
  fire(hook: string, build: CtxBuilder<C>): R[] {
    return [...this.links(hook)].map((l) => this.runOne(l, build(l)));
  }
}
