#!/usr/bin/env node
/** `npm run token -- alice` (and the other CLI commands): builds if needed, then runs dist/apps/cli/src/main.js. */
'use strict';
const { ensureBuilt, runBuilt } = require('./start');

const entry = 'dist/apps/cli/src/main.js';
ensureBuilt(entry);
runBuilt(entry, process.argv.slice(2));
