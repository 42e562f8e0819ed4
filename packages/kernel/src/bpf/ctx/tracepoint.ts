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
}

export interface TracepointFormat {
  name: string;
  id: number;
  fields: TracepointField[];
  /** Bytes of the record (end of the last field, rounded up to 8 as the ring buffer aligns it). */
  size: number;
}

/** The common header every record starts with (struct trace_entry). */
export const TRACE_ENTRY_FIELDS = ['common_type', 'common_flags', 'common_preempt_count', 'common_pid'] as const;

const FIELD = /^\s*field:(.+?);\s*offset:(\d+);\s*size:(\d+);\s*signed:([01]);\s*$/;

/** Parse a tracefs `format` file. Errors name the line. */
export function parseTracepointFormat(text: string, file = 'format'): TracepointFormat {
  let name = '';
  let id = 0;
  const fields: TracepointField[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.startsWith('name:')) name = line.slice(5).trim();
    else if (line.startsWith('ID:')) id = Number(line.slice(3).trim());
    else if (line.trim().startsWith('field:')) {
      const m = FIELD.exec(line);
      if (!m) throw new BpfsimError('ETPFORMAT', `${file}:${i + 1}: expected 'field:<decl>; offset:N; size:N; signed:0|1;', got '${line.trim()}'`);
      const decl = m[1].trim();
      // The name is the last identifier, before any array suffix ("char comm[16]").
      const nm = /([A-Za-z_][A-Za-z0-9_]*)\s*(\[[^\]]*\])?\s*$/.exec(decl);
      fields.push({ decl, name: nm ? nm[1] : decl, offset: Number(m[2]), size: Number(m[3]), signed: m[4] === '1' });
    }
  });
  if (!name || !fields.length) throw new BpfsimError('ETPFORMAT', `${file}: not a tracepoint format (no name or no fields)`);
  const end = Math.max(...fields.map((f) => f.offset + f.size));
  return { name, id, fields, size: Math.ceil(end / 8) * 8 };
}

/**
 * A record: values by field name (numbers/bigints for integer fields, bytes for
 * arrays and strings); common_type defaults to the format's ID.
 */
export function tracepointRecord(fmt: TracepointFormat, values: Readonly<Record<string, bigint | number | Uint8Array>>): Uint8Array {
  const out = new Uint8Array(fmt.size);
  const dv = new DataView(out.buffer);
  const all: Record<string, bigint | number | Uint8Array> = { common_type: fmt.id, ...values };
  for (const [k, v] of Object.entries(all)) {
    const f = fmt.fields.find((x) => x.name === k);
    if (!f) throw new BpfsimError('ETPFIELD', `tracepoint ${fmt.name}: no field ${k} (fields: ${fmt.fields.map((x) => x.name).join(', ')})`);
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
