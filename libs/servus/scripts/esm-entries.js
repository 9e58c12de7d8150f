#!/usr/bin/env node
/*
 * After `tsc` has built dist/ as CommonJS: writes each entry's ESM face, a `.mjs` that re-exports
 * the CommonJS module (its export names read here, from the built module) and a `.d.mts` that
 * re-exports its declarations. An app that imports and a library that requires the package get
 * the same module instances (one ServusModule class, one set of DI tokens and metadata), which a
 * second, ESM build would split in two (the dual-package hazard).
 */
'use strict';
const { existsSync, readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const DIST = join(__dirname, '..', 'dist');
/** Entries whose ESM face re-exports their CommonJS exports (package.json `exports` points at both). */
const ENTRIES = ['index', 'extend', 'testing/index', 'metrics/index', 'health/index', 'dashboard/index'];

const HEADER = '// ESM face of the CommonJS build: the same module, so one copy of its state.\n';

function reexport(entry) {
  const file = entry.split('/').pop();
  const names = Object.keys(require(join(DIST, `${entry}.js`))).sort();
  const bad = names.filter((name) => !/^[A-Za-z_$][\w$]*$/.test(name) || name === 'default');
  if (bad.length) throw new Error(`${entry}: cannot re-export ${bad.join(', ')} by name`);
  writeFileSync(
    join(DIST, `${entry}.mjs`),
    `${HEADER}import cjs from './${file}.js';\n\nexport const {\n${names.map((name) => `  ${name},`).join('\n')}\n} = cjs;\n`,
  );
  writeFileSync(join(DIST, `${entry}.d.mts`), `export * from './${file}.js';\n`);
  return names.length;
}

function setupFiles() {
  // Jest in ESM mode imports its set-up file: the CommonJS one runs (expect.extend on jest's global expect).
  writeFileSync(join(DIST, 'testing/jest-setup.mjs'), `${HEADER}import './jest-setup.js';\n`);
  writeFileSync(join(DIST, 'testing/jest-setup.d.mts'), `import './jest-setup.js';\n\nexport {};\n`);
  // Vitest: `setupFiles: ['nestjs-servus/testing/vitest-setup']`; ESM only, as vitest is.
  writeFileSync(
    join(DIST, 'testing/vitest-setup.mjs'),
    [
      "// Registers Servus's matchers with vitest's expect (no global `expect` needed).",
      "import { expect } from 'vitest';",
      "import { servusMatchers } from './index.mjs';",
      '',
      'expect.extend(servusMatchers);',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(DIST, 'testing/vitest-setup.d.mts'),
    [
      "import type { ServusMatchers } from './matchers.js';",
      '',
      "/** The matchers' types on vitest's `expect(...)`. */",
      "declare module 'vitest' {",
      '  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-explicit-any',
      '  interface Assertion<T = any> extends ServusMatchers<T> {}',
      '}',
      '',
      'export {};',
      '',
    ].join('\n'),
  );
}

/** Every file the package.json `exports` map names, so a wrong path fails the build, not a user's import. */
function exportedFiles(target) {
  if (typeof target === 'string') return [target];
  return Object.values(target).flatMap(exportedFiles);
}

function main() {
  const counts = ENTRIES.map((entry) => `${entry} (${reexport(entry)})`);
  setupFiles();
  const root = join(__dirname, '..');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const missing = exportedFiles(pkg.exports).filter((file) => !existsSync(join(root, file)));
  if (missing.length) throw new Error(`the exports map names files the build did not make: ${missing.join(', ')}`);
  console.log(`esm-entries: ${counts.join(', ')}`);
}

main();
