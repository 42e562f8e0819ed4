'use strict';
// Lets plain node run the fuzzer's TypeScript: .ts files are transpiled on
// require with the repository's TypeScript (no type check; `npx tsc -p tools/fuzz`
// does that). @bpfsim/* resolve through node_modules to the built dists
// (`npm run build`), or to the sources with BPFSIM_FUZZ_SRC=1.
const fs = require('fs');
const path = require('path');
const Module = require('module');
const ts = require('typescript');

const root = path.resolve(__dirname, '..', '..');

require.extensions['.ts'] = function compileTs(module, filename) {
  const out = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, sourceMap: false },
  });
  module._compile(out.outputText, filename);
};

if (process.env.BPFSIM_FUZZ_SRC) {
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function resolveBpfsim(request, ...rest) {
    const m = /^@bpfsim\/([a-z-]+)$/.exec(request);
    if (m && m[1] !== 'oracle') return path.join(root, 'packages', m[1], 'src', 'index.ts');
    return resolve.call(this, request, ...rest);
  };
}

/**
 * The fuzzer module `file` (a .ts beside this one) for the command `tool`, or null after one line on
 * stderr saying why it cannot be loaded (no build yet, or --src needed).
 */
exports.loadFuzzer = function loadFuzzer(tool, file) {
  try {
    return require(path.join(__dirname, file));
  } catch (e) {
    process.stderr.write(`${tool}: cannot load the fuzzer (${e.message.split('\n')[0]}); run \`npm run build\` first, or pass --src\n`);
    return null;
  }
};
