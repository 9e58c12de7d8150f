// @ts-check
/**
 * Mutation testing of the library's core (see docs/contributing.md, "Mutation testing").
 * One area a run: `npm run mutate -- <area>` or `STRYKER_AREA=<area> npx stryker run`; each area is
 * mutated against its own unit specs only (no Redis, no PostgreSQL), so a run is a few minutes.
 * `npm run mutate` with no area runs every area one after the other (scripts/mutate.sh).
 */
const src = 'libs/servus/src';

/** @type {Record<string, { mutate: string[]; specs: string[]; relatedOnly?: boolean; timeoutMS?: number }>} */
const areas = {
  rescue: { mutate: [`${src}/rescue/**/*.ts`], specs: ['rescue/[a-z.-]+'] },
  response: { mutate: [`${src}/response/**/*.ts`], specs: ['response/[a-z.-]+'] },
  redact: { mutate: [`${src}/execution/redact.ts`], specs: ['execution/redact'] },
  // The rest of execution/ (pipeline, executor, deadline, logger, context, observers, definer): every file
  // with code; interfaces and ports hold none, redact.ts is its own area above. The specs that boot Nest
  // modules (servus-executor, service-logger, servus-context, call-deadline) are left out: with them each
  // mutant took about a minute. The unit specs build the pipeline and the executor from their parts.
  execution: {
    mutate: [
      `${src}/execution/*.ts`,
      `!${src}/execution/redact.ts`,
      `!${src}/execution/*.interface.ts`,
      `!${src}/execution/*.port.ts`,
    ],
    specs: ['execution/(?!(?:servus-executor|service-logger|servus-context|call-deadline)\\.spec\\.ts$)[a-z.-]+'],
    // Each mutant runs only the specs that import its file (jest --findRelatedTests): about 2.5 s a mutant
    // instead of 4 s, as every spec file of the list is loaded again for each mutant otherwise.
    relatedOnly: true,
    // Its unit specs run in about a second: a mutant still running after 5 s hangs (every timeout of a run,
    // 14 of 464 mutants, was a promise that never settles or a loop that never ends), not a slow pass.
    timeoutMS: 5000,
  },
  // async/ in two runs: the pure parsers and walkers (light specs), then what builds and reads jobs.
  'async-codec': {
    mutate: [`${src}/async/job-payload.codec.ts`, `${src}/async/job-options.ts`, `${src}/util/duration.ts`],
    specs: ['async/job-payload.codec', 'async/job-options', 'util/duration'],
    relatedOnly: true,
  },
  'async-jobs': {
    mutate: [`${src}/async/job-request.ts`, `${src}/async/failed-job-response.ts`],
    specs: ['async/job-request', 'async/failed-job-response'],
  },
  // validation.spec.ts (services booted in a Nest module) is left out: with it a run took about 15 s a mutant at
  // load average 10. The unit specs pin what it checks (messages, paths, defaults, formats, files, DTO options).
  // validation, async-codec and events: each mutant runs only the spec files that import its file, directly or
  // not: the 3 validation specs related to contract-compiler.ts ran in 8.6 s, all 8 of them in 21.6 s (load 9).
  // A spec reaching a file by a path jest cannot follow (a computed require) would not run: its mutants survive.
  validation: {
    mutate: [`${src}/validation/**/*.ts`],
    specs: ['validation/(?!validation\\.)[a-z.-]+'],
    relatedOnly: true,
  },
  service: { mutate: [`${src}/service/**/*.ts`], specs: ['service/[a-z.-]+'] },
  events: { mutate: [`${src}/events/**/*.ts`], specs: ['events/[a-z.-]+'], relatedOnly: true },
  globalid: { mutate: [`${src}/globalid/**/*.ts`], specs: ['globalid/[a-z.-]+'] },
  // The unit table covers every option and the provider's shape. servus.module.spec is left out: it boots
  // a module per test, and every boot covers every mutant of the checks (each mutant would run them all).
  'module-options': {
    mutate: [`${src}/module/servus-options.validation.ts`],
    specs: ['module/servus-options.validation'],
  },
};

const name = process.env.STRYKER_AREA ?? 'rescue';
const area = areas[name];
if (!area) throw new Error(`unknown STRYKER_AREA "${name}"; one of: ${Object.keys(areas).join(', ')}`);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'jest',
  plugins: ['@stryker-mutator/jest-runner'],
  coverageAnalysis: 'perTest',
  // The machine has 2 cores shared with other work: at most 2 test runners (STRYKER_CONCURRENCY=1 for one).
  concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 2),
  // A mutant's budget is 1.5 x its tests' net time + timeoutMS + the dry run's overhead (about 4 s). A timed-out
  // runner restarts, and its first run reloads jest and ts-jest: with all of validation's specs loaded for each
  // mutant, timeoutMS 5000 let that reload overrun the budget (load average 6 to 8), so kills were reported as
  // timeouts one after the other (schema-files.ts: 25 of 41 timed out, 4 min 40 s, against 2 at 20000 in
  // 3 min 10 s; those 2 are real endless loops). Hence 20000 unless an area says otherwise.
  timeoutMS: area.timeoutMS ?? 20000,
  // STRYKER_IGNORE_STATIC=1 skips static mutants (module-level constants, decorators run at load): each of
  // them reloads every module of the area's specs, most of a run's time. The report counts them as ignored.
  ignoreStatic: process.env.STRYKER_IGNORE_STATIC === '1',
  mutate: [...area.mutate, '!**/*.spec.ts', '!**/__fixtures__/**'],
  jest: {
    projectType: 'custom',
    configFile: 'jest.config.js',
    // relatedOnly areas: STRYKER_RELATED_TESTS=0 loads every spec file of the area for each mutant all the same.
    enableFindRelatedTests: (area.relatedOnly ?? false) && process.env.STRYKER_RELATED_TESTS !== '0',
    config: {
      roots: ['<rootDir>/libs/servus/src'],
      testRegex: `libs/servus/src/(${area.specs.join('|')})\\.spec\\.ts$`,
    },
  },
  ignorePatterns: ['/apps', '/bench', '/test', '/docs', '/reports', '/coverage', '/dist'],
  tempDirName: '.stryker-tmp',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `reports/mutation/${name}.html` },
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  incremental: false,
  cleanTempDir: 'always',
};
