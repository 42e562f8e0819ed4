/** A rejection found while checking: the kernel's message (possibly several lines) and errno. */
export class Reject {
  constructor(readonly msg: string, readonly errno: string) {}
}

export const eacces = (msg: string): Reject => new Reject(msg, 'EACCES');
export const einval = (msg: string): Reject => new Reject(msg, 'EINVAL');
