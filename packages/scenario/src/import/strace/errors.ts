import { BpfsimError } from '@bpfsim/uapi';

/**
 * A line of an strace log that cannot be read: names the log file, the line and column (1-based),
 * and what was expected. For a joined `<unfinished ...>`/`<... resumed>` pair, `related` is the
 * pair's other line, which the failure takes down with it.
 */
export class StraceParseError extends BpfsimError {
  constructor(readonly file: string, readonly line: number, readonly col: number, readonly what: string, readonly related?: number) {
    super('ESTRACE', `${file}:${line}:${col}: ${what}${related === undefined ? '' : ` (in the call ${related > line ? 'resumed' : 'begun'} at line ${related})`}`);
  }
}
