/** Files named by a test: relative to the working directory, else to the test file's directory. */
import * as fs from 'fs';
import * as path from 'path';
import { BpfsimError } from '@bpfsim/uapi';

/** The running test file, when jest's expect says (absent outside jest). */
function testDir(): string | undefined {
  const e = (globalThis as { expect?: { getState?: () => { testPath?: string } } }).expect;
  const p = e?.getState?.().testPath;
  return p ? path.dirname(p) : undefined;
}

export function resolveTestFile(file: string): string {
  if (path.isAbsolute(file) || fs.existsSync(file)) return path.resolve(file);
  const dir = testDir();
  if (dir && fs.existsSync(path.join(dir, file))) return path.join(dir, file);
  return path.resolve(file);
}

export function readTestFile(file: string): Uint8Array {
  const p = resolveTestFile(file);
  try {
    return new Uint8Array(fs.readFileSync(p));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    throw new BpfsimError(code, `${file}: cannot read (${code}${p !== file ? `, looked at ${p}` : ''})`);
  }
}
