/**
 * The values strace prints as syscall arguments, as a small typed tree. Numbers are bigints
 * (pointers and 64-bit values do not fit a double); strings are byte strings (one char per byte,
 * C escapes decoded) because strace prints bytes, not text.
 */
export type StraceValue =
  | StraceNum
  | StraceStr
  | StraceIdent
  | StraceFlags
  | StraceExpr
  | StraceUnary
  | StraceStruct
  | StraceArray
  | StraceCallValue
  | StraceInOut
  | StraceEllipsis
  | StraceComment
  | StraceAngle
  | StraceHwAddr
  | StraceElement;

/** Something strace may follow with a comment: `1796681229 /* 2026-12-07T22:07:09+0000 *\/`. */
interface Commented {
  comment?: string;
}

/** 3, -1, 0x7ffd…, 0644 (octal, as in modes). `path` is what -y prints after an fd: `3</etc/passwd>`. */
export interface StraceNum extends Commented {
  kind: 'num';
  value: bigint;
  text: string;
  path?: string;
}

/** "…" with C escapes decoded to bytes; `truncated` when strace printed `"…"...`; `abstract` for `@"…"` socket names. */
export interface StraceStr extends Commented {
  kind: 'str';
  value: string;
  truncated: boolean;
  abstract?: true;
}

/** A named constant or symbol: AT_FDCWD, NULL, SIGCHLD, O_RDONLY. `path`: -y's `AT_FDCWD</cwd>`. */
export interface StraceIdent extends Commented {
  kind: 'ident';
  name: string;
  path?: string;
}

/** `A|B|0644`: a bit set. */
export interface StraceFlags extends Commented {
  kind: 'flags';
  items: StraceValue[];
}

/**
 * Any other operator chain strace prints, left to right: `8192*1024`, `WIFEXITED(s) && WEXITSTATUS(s) == 0`,
 * `BTRFS_IOC_CLONE or FICLONE` (op 'or': an ioctl request with two names).
 */
export interface StraceExpr extends Commented {
  kind: 'expr';
  operands: StraceValue[];
  ops: string[];
}

/** `~[RTMIN RT_1]` (a complemented signal set), `&sin6_addr`, `-ENODEV`, `!x`. */
export interface StraceUnary extends Commented {
  kind: 'unary';
  op: '~' | '&' | '!' | '-';
  operand: StraceValue;
}

/** An argument or struct member: `st_size=123` (named) or a bare value. `...` appears as an ellipsis value. */
export interface StraceField {
  name?: string;
  value: StraceValue;
}

/** `{st_mode=S_IFREG|0644, st_size=123, ...}` */
export interface StraceStruct extends Commented {
  kind: 'struct';
  fields: StraceField[];
}

/** `["ls", "-la"]`, `[3, 4]`, or a space-separated set `[INT QUIT]` (sep ' '). */
export interface StraceArray extends Commented {
  kind: 'array';
  items: StraceValue[];
  sep: ',' | ' ';
}

/** A function-like form: `makedev(0xfe, 0)`, `htons(5555)`, `inet_addr("127.0.0.1")`, `WIFEXITED(s)`. */
export interface StraceCallValue extends Commented {
  kind: 'call';
  name: string;
  args: StraceField[];
}

/** An in/out value: `[16 => 16]`, `{...} => {parent_tid=[5]}`: what went in, what came back. */
export interface StraceInOut extends Commented {
  kind: 'inout';
  before: StraceValue;
  after: StraceValue;
}

/** `...`: strace left the rest out. */
export interface StraceEllipsis extends Commented {
  kind: 'ellipsis';
}

/** A comment standing where a value would: `[/* 2 entries *\/]`. */
export interface StraceComment extends Commented {
  kind: 'comment';
  text: string;
}

/** `<... resuming interrupted read ...>` and other `<…>` forms, kept as their text. */
export interface StraceAngle extends Commented {
  kind: 'angle';
  text: string;
}

/** The bytes of a decoded string. */
export function strBytes(s: StraceStr): Uint8Array {
  const out = new Uint8Array(s.value.length);
  for (let i = 0; i < s.value.length; i++) out[i] = s.value.charCodeAt(i);
  return out;
}

/** A link-layer address: `c2:f7:5d:62:d5:90` (netlink IFLA_ADDRESS, sockaddr_ll). */
export interface StraceHwAddr extends Commented {
  kind: 'hwaddr';
  text: string;
}

/** A designated array element: `[DEVCONF_MTU6]=65536` (netlink attribute arrays). */
export interface StraceElement extends Commented {
  kind: 'element';
  index: StraceValue;
  value: StraceValue;
}
