/**
 * Tracepoint records as the ring buffer holds them and a BPF tracepoint
 * program reads them: struct trace_entry (common_type, common_flags,
 * common_preempt_count, common_pid), then the event's fields at the offsets
 * of its tracefs `format` file. The tracing layer will fire these; here is the
 * format parser and the record builder.
 */
import { BpfsimError } from '@bpfsim/uapi';

export interface TracepointField {
  /** C declaration as the format file gives it ("const char * filename"). */
  decl: string;
  name: string;
  offset: number;
  size: number;
  signed: boolean;
  /** The declared type without the name or array suffix ("const char *", "__data_loc char[]", "char"). */
  type: string;
  /** Array element count: a number for `name[N]`, 0 for a flexible `name[]`; absent for a scalar. */
  arrayLen?: number;
  /**
   * A dynamic field: the 4-byte slot holds (length << 16 | offset) of bytes stored after the fixed
   * part — from the record start for __data_loc, from the end of the slot for __rel_loc.
   */
  dynamic?: 'data_loc' | 'rel_loc';
  /** One of struct trace_entry's fields (common_type, common_flags, common_preempt_count, common_pid). */
  common: boolean;
}

export interface TracepointFormat {
  name: string;
  id: number;
  fields: TracepointField[];
  /** Bytes of the record (end of the last field, rounded up to 8 as the ring buffer aligns it). */
  size: number;
  /** The `print fmt:` line's text after the prefix, as tracefs prints it ('' when absent). */
  printFmt: string;
  /**
   * Where variable-length (__data_loc) data starts: sizeof(struct trace_event_raw_<event>), the
   * fixed fields' end rounded up to their largest alignment.
   */
  dataOffset: number;
}

/** The common header every record starts with (struct trace_entry). */
export const TRACE_ENTRY_FIELDS = ['common_type', 'common_flags', 'common_preempt_count', 'common_pid'] as const;

const FIELD = /^\s*field:(.+?);\s*offset:(\d+);\s*size:(\d+);\s*signed:([01]);\s*$/;

/** Parse a tracefs `format` file. Errors name the line. */
export function parseTracepointFormat(text: string, file = 'format'): TracepointFormat {
  let name = '';
  let id = 0;
  const fields: TracepointField[] = [];
  let printFmt = '';
  text.split('\n').forEach((line, i) => {
    if (line.startsWith('print fmt: ')) printFmt = line.slice('print fmt: '.length);
    else if (line.startsWith('name:')) name = line.slice(5).trim();
    else if (line.startsWith('ID:')) id = Number(line.slice(3).trim());
    else if (line.trim().startsWith('field:')) {
      const m = FIELD.exec(line);
      if (!m) throw new BpfsimError('ETPFORMAT', `${file}:${i + 1}: expected 'field:<decl>; offset:N; size:N; signed:0|1;', got '${line.trim()}'`);
      const decl = m[1].trim();
      // The name is the last identifier, before any array suffix ("char comm[16]").
      const nm = /([A-Za-z_][A-Za-z0-9_]*)\s*(\[[^\]]*\])?\s*$/.exec(decl);
      const fname = nm ? nm[1] : decl;
      const f: TracepointField = {
        decl, name: fname, offset: Number(m[2]), size: Number(m[3]), signed: m[4] === '1',
        type: nm ? decl.slice(0, nm.index).trim() : decl,
        common: (TRACE_ENTRY_FIELDS as readonly string[]).includes(fname),
      };
      if (nm?.[2]) {
        const inner = nm[2].slice(1, -1).trim();
        if (inner && !/^\d+$/.test(inner)) throw new BpfsimError('ETPFORMAT', `${file}:${i + 1}: array length '${inner}' is not a number`);
        f.arrayLen = inner ? Number(inner) : 0;
      }
      // "__data_loc char[] name": the 4-byte slot of a variable-length field.
      if (/^__data_loc\b/.test(f.type)) f.dynamic = 'data_loc';
      else if (/^__rel_loc\b/.test(f.type)) f.dynamic = 'rel_loc';
      fields.push(f);
    }
  });
  if (!name || !fields.length) throw new BpfsimError('ETPFORMAT', `${file}: not a tracepoint format (no name or no fields)`);
  const end = Math.max(...fields.map((f) => f.offset + f.size));
  const align = Math.max(...fields.map(fieldAlign));
  return { name, id, fields, size: Math.ceil(end / 8) * 8, printFmt, dataOffset: Math.ceil(end / align) * align };
}

/** A field's natural alignment: its element's size, as a power of two up to 8 (a struct of 12 bytes aligns to 4). */
function fieldAlign(f: TracepointField): number {
  const unit = f.dynamic ? 4 : f.arrayLen ? f.size / f.arrayLen : f.arrayLen === 0 ? 1 : f.size;
  let a = 1;
  while (a < 8 && unit % (a * 2) === 0) a *= 2;
  return a;
}

/**
 * A record: values by field name (numbers/bigints for integer fields, bytes for
 * arrays and strings); common_type defaults to the format's ID. A __data_loc/__rel_loc
 * field given bytes gets them after the fixed part (from dataOffset, in field order)
 * and its slot set to (length << 16 | offset) as the kernel's __assign_str does;
 * give a string's bytes with their NUL.
 */
export function tracepointRecord(fmt: TracepointFormat, values: Readonly<Record<string, bigint | number | Uint8Array>>): Uint8Array {
  const all: Record<string, bigint | number | Uint8Array> = { common_type: fmt.id, ...values };
  const dyn = fmt.fields.filter((f) => f.dynamic && all[f.name] instanceof Uint8Array);
  const dataEnd = dyn.reduce((n, f) => n + (all[f.name] as Uint8Array).length, fmt.dataOffset);
  const out = new Uint8Array(dyn.length ? Math.ceil(dataEnd / 8) * 8 : fmt.size);
  const dv = new DataView(out.buffer);
  let at = fmt.dataOffset;
  for (const f of dyn) {
    const b = all[f.name] as Uint8Array;
    if (b.length > 0xffff) throw new BpfsimError('ETPFIELD', `tracepoint ${fmt.name}: ${f.name} holds at most 65535 bytes, got ${b.length}`);
    out.set(b, at);
    // __rel_loc offsets count from the end of the slot itself.
    dv.setUint32(f.offset, ((b.length << 16) | (f.dynamic === 'rel_loc' ? at - (f.offset + 4) : at)) >>> 0, true);
    at += b.length;
  }
  for (const [k, v] of Object.entries(all)) {
    const f = fmt.fields.find((x) => x.name === k);
    if (!f) throw new BpfsimError('ETPFIELD', `tracepoint ${fmt.name}: no field ${k} (fields: ${fmt.fields.map((x) => x.name).join(', ')})`);
    if (f.dynamic && v instanceof Uint8Array) continue;
    if (v instanceof Uint8Array) {
      if (v.length > f.size) throw new BpfsimError('ETPFIELD', `tracepoint ${fmt.name}: ${k} holds ${f.size} bytes, got ${v.length}`);
      out.set(v, f.offset);
      continue;
    }
    const n = BigInt.asUintN(f.size * 8, BigInt(v));
    for (let i = 0; i < f.size; i++) dv.setUint8(f.offset + i, Number((n >> BigInt(i * 8)) & 0xffn));
  }
  return out;
}
