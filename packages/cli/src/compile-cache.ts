/**
 * Start-up: a V8 code cache for the ~500 JavaScript modules `bpfsim` loads.
 * Parsing and compiling them is the largest share of a short command's wall
 * time (Node 20 has no module.enableCompileCache), so the bin script installs
 * this before loading anything else. Entries are keyed by a hash of the
 * module's source text: an edited file simply misses. The cache only changes
 * how fast code is compiled, never what runs.
 *
 * Where: $BPFSIM_COMPILE_CACHE (a directory; "0" turns the cache off), else
 * $XDG_CACHE_HOME/bpfsim, else ~/.cache/bpfsim. One file per Node version and
 * architecture, written atomically (temporary file + rename) at exit and only
 * when a module missed, so steady-state runs write nothing. Any failure to
 * read or write it is ignored: the cache is an optimisation.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vm from 'vm';
import * as v8 from 'v8';
import { createHash } from 'crypto';
import Module = require('module');

interface Entry { hash: string; data: Buffer }

/** The cache file: compiled code per module, and how each require resolved (request from a directory to a file). */
interface CacheFile { code: Map<string, Entry>; resolved: Map<string, string> }

/** Internal Module members this file uses (stable since Node 12, present in Node 20). */
interface ModuleInternals {
  _compile(content: string, filename: string): unknown;
  _resolveFilename(request: string, parent: unknown, isMain: boolean, options?: unknown): string;
  _resolveLookupPaths(request: string, parent: unknown): string[] | null;
  _extensions: unknown;
  _cache: unknown;
  require(id: string): unknown;
  exports: unknown;
}

export function cacheFile(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const setting = env.BPFSIM_COMPILE_CACHE;
  if (setting === '0' || setting === 'off') return undefined;
  const dir = setting || (env.XDG_CACHE_HOME ? path.join(env.XDG_CACHE_HOME, 'bpfsim') : path.join(os.homedir(), '.cache', 'bpfsim'));
  return path.join(dir, `v8-code-${process.version}-${process.arch}.bin`);
}

function readCache(file: string): CacheFile {
  try {
    const v = v8.deserialize(fs.readFileSync(file)) as Partial<CacheFile>;
    if (v && v.code instanceof Map && v.resolved instanceof Map) return v as CacheFile;
  } catch {
    // missing or damaged: start afresh
  }
  return { code: new Map(), resolved: new Map() };
}

let installed = false;

/** Hook module compilation; returns false when the cache is off or already installed. */
export function installCompileCache(env: NodeJS.ProcessEnv = process.env): boolean {
  const file = cacheFile(env);
  if (!file || installed) return false;
  installed = true;
  const { code: cache, resolved } = readCache(file);
  const fresh: { filename: string; hash: string; script: vm.Script }[] = [];
  const proto = (Module as unknown as { prototype: ModuleInternals }).prototype;
  const M = Module as unknown as ModuleInternals;
  let learned = false;

  // Resolving a request walks directories, reads package.json files and builds URLs for "exports"
  // maps: a third of start-up. A resolution is reused while its file exists; any source change
  // (a module whose hash missed) forgets them all, so a moved or shadowed file is resolved afresh.
  const resolve = M._resolveFilename;
  M._resolveFilename = function resolveCached(request: string, parent: unknown, isMain: boolean, options?: unknown): string {
    const from = (parent as { path?: string } | undefined)?.path;
    if (options !== undefined || typeof from !== 'string' || request.startsWith('node:')) return resolve.call(this, request, parent, isMain, options);
    const key = `${from}\0${request}`;
    const hit = resolved.get(key);
    if (hit !== undefined && (hit === request || fs.existsSync(hit))) return hit;
    const filename = resolve.call(this, request, parent, isMain, options);
    resolved.set(key, filename);
    learned = true;
    return filename;
  };

  proto._compile = function compileCached(this: ModuleInternals, content: string, filename: string): unknown {
    // A hashbang line is legal only at the very start of a script, not inside the wrapper.
    const body = content.startsWith('#!') ? '//' + content.slice(2) : content;
    const hash = createHash('sha1').update(body).digest('base64');
    const hit = cache.get(filename);
    const script = new vm.Script(Module.wrap(body), {
      filename,
      cachedData: hit && hit.hash === hash ? hit.data : undefined,
    });
    if (!hit || hit.hash !== hash || script.cachedDataRejected) {
      if (hit && hit.hash !== hash) resolved.clear();
      fresh.push({ filename, hash, script });
    }
    const mod = this;
    const require = ((id: string) => mod.require(id)) as NodeJS.Require;
    const resolveFn = ((request: string, options?: unknown) => M._resolveFilename(request, mod, false, options)) as NodeJS.RequireResolve;
    resolveFn.paths = (request: string) => M._resolveLookupPaths(request, mod);
    require.resolve = resolveFn;
    require.main = process.mainModule;
    require.extensions = M._extensions as NodeJS.RequireExtensions;
    require.cache = M._cache as NodeJS.Dict<NodeModule>;
    const wrapper = script.runInThisContext({ displayErrors: true }) as (...a: unknown[]) => unknown;
    return wrapper.call(mod.exports, mod.exports, require, mod, filename, path.dirname(filename));
  };

  process.once('exit', () => {
    if (!fresh.length && !learned) return;
    try {
      // Data taken after the run also holds the functions compiled lazily while running.
      for (const f of fresh) cache.set(f.filename, { hash: f.hash, data: f.script.createCachedData() });
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, v8.serialize({ code: cache, resolved } satisfies CacheFile));
      fs.renameSync(tmp, file);
    } catch {
      // read-only home, full disk: run uncached next time
    }
  });
  return true;
}
