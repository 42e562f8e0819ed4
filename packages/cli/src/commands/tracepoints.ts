/**
 * `bpfsim tracepoints [FILTER] [--format] [--json]`: the profile kernel's tracepoints
 * (data generated from tracefs). FILTER is a substring or a glob over "system:event";
 * --format prints each event's format file exactly as tracefs prints it.
 */
import { listTracepoints, tracepointFormat } from '@bpfsim/kernel';
import type { Command } from '../command';
import { CliExit, EXIT } from '../io';

export const tracepointsCommand: Command = {
  command: 'tracepoints [filter]',
  describe: "List the profile kernel's tracepoints (system:event), with --format their tracefs format files",
  builder: (y) =>
    y
      .positional('filter', { type: 'string', describe: 'substring, or glob (* ? [...]) over system:event or event' })
      .option('format', { type: 'boolean', default: false, describe: 'print each format file as /sys/kernel/tracing/events/<system>/<event>/format does' })
      .option('json', { type: 'boolean', default: false, describe: 'one JSON object per event: name, id, size and fields (with --format also the text)' }),
  async run(args, io) {
    const filter = args.filter === undefined ? undefined : String(args.filter);
    const names = listTracepoints(filter);
    if (!names.length) throw new CliExit(EXIT.failed, `no tracepoint matches '${filter}'`);
    if (args.json) {
      const lines = names.map((n) => {
        const { system, event, text, format } = tracepointFormat(n);
        const fields = format.fields.map((f) => ({ name: f.name, type: f.type, offset: f.offset, size: f.size, signed: f.signed,
          ...(f.arrayLen !== undefined ? { arrayLen: f.arrayLen } : {}), ...(f.dynamic ? { dynamic: f.dynamic } : {}) }));
        return JSON.stringify({ name: n, system, event, id: format.id, size: format.size, fields, ...(args.format ? { text } : {}) });
      });
      io.out(lines.join('\n'));
    } else if (args.format) {
      // Format files end with a newline; print them one after the other, as `cat` would.
      io.out(names.map((n) => tracepointFormat(n).text).join(''));
    } else io.out(names.join('\n'));
    return 0;
  },
};
