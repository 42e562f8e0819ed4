import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../src/main';
import type { Io } from '../src/io';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Run `bpfsim` in-process with captured output. */
export async function cli(...argv: string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  const io: Io = {
    out: (t) => { out += t.endsWith('\n') ? t : t + '\n'; },
    err: (t) => { err += t.endsWith('\n') ? t : t + '\n'; },
    isTTY: false,
  };
  const code = await main(argv, io);
  return { code, out, err };
}

export function tmpFile(name: string, content: string | Uint8Array): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-cli-'));
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
}

/** ../shared/conformance beside the repository checkout, or undefined when absent. */
export function sharedConformance(): string | undefined {
  const dir = path.resolve(__dirname, '../../../../shared/conformance');
  return fs.existsSync(path.join(dir, 'tests')) ? dir : undefined;
}
