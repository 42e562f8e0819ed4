#!/usr/bin/env node
'use strict';
// The code cache first: every module loaded after it compiles from cached V8 data (start-up time).
require('../dist/compile-cache.js').installCompileCache();
require('../dist/main.js').main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
