#!/usr/bin/env node
/**
 * `npm run bench:console`: the console's first-load JavaScript, compressed, against its budget (issue 14: 250 KB).
 * Counts every script dist/console/index.html loads (entry and module preloads) as the API sends them (gzip, level 9)
 * and with brotli; exits 1 over budget.
 */
'use strict';
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { brotliCompressSync, gzipSync } = require('node:zlib');

const budgetBytes = 250 * 1024;
const dir = join(__dirname, '..', 'dist', 'console');
const html = readFileSync(join(dir, 'index.html'), 'utf8');
const scripts = [
  ...html.matchAll(/<script\b[^>]*\bsrc="\/([^"]+\.js)"/g),
  ...html.matchAll(/<link\b[^>]*rel="modulepreload"[^>]*href="\/([^"]+\.js)"/g),
].map((match) => match[1]);
let raw = 0;
let gzip = 0;
let brotli = 0;
for (const path of new Set(scripts)) {
  const body = readFileSync(join(dir, path));
  raw += body.length;
  gzip += gzipSync(body, { level: 9 }).length;
  brotli += brotliCompressSync(body).length;
}
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
console.log(
  `console first-load JS: ${scripts.length} file(s), ${kb(raw)} raw, ${kb(gzip)} gzip (as served), ${kb(brotli)} brotli; budget ${kb(budgetBytes)} compressed`,
);
if (gzip > budgetBytes) {
  console.error(`over budget by ${kb(gzip - budgetBytes)}`);
  process.exit(1);
}

// The member timeline of 10,000 changes, rendered in Chromium, against its budget (1 s).
require('./bench-console-timeline');
