/**
 * The layers of libs/servus (see DESIGN.md), checked by `npm run lint`. A folder may import its own
 * layer's leaves and anything below it; never above. Spec files are tests, not layers: they may import
 * the public entries.
 */
const SRC = '^libs/servus/src/';
const folders = (...names) => `${SRC}(${names.join('|')})/`;
/** Entry files re-export (the package.json exports map points at them): they sit in no layer. */
const ENTRIES = `${SRC}((testing|metrics|health|dashboard)/index|testing/jest-setup)\\.ts$`;

/** Each layer, with the folders it must not import (everything above it). */
const layers = [
  {
    name: 'leaves',
    from: ['response', 'util'],
    above: [
      'service',
      'rescue',
      'validation',
      'execution',
      'tracing',
      'events',
      'async',
      'flow',
      'outbox',
      'globalid',
      'testing',
      'http',
      'metrics',
      'health',
      'dashboard',
      'module',
      'cli',
    ],
  },
  {
    name: 'definitions',
    from: ['service', 'rescue', 'validation'],
    above: [
      'execution',
      'tracing',
      'events',
      'async',
      'flow',
      'outbox',
      'globalid',
      'testing',
      'http',
      'metrics',
      'health',
      'dashboard',
      'module',
      'cli',
    ],
  },
  {
    name: 'tracing',
    from: ['tracing'],
    above: [
      'service',
      'rescue',
      'validation',
      'execution',
      'events',
      'async',
      'flow',
      'outbox',
      'globalid',
      'testing',
      'http',
      'metrics',
      'health',
      'dashboard',
      'module',
      'cli',
    ],
  },
  {
    name: 'execution',
    from: ['execution'],
    above: [
      'events',
      'async',
      'flow',
      'outbox',
      'globalid',
      'testing',
      'http',
      'metrics',
      'health',
      'dashboard',
      'module',
      'cli',
    ],
  },
  {
    name: 'events',
    from: ['events'],
    above: [
      'async',
      'flow',
      'outbox',
      'globalid',
      'testing',
      'http',
      'metrics',
      'health',
      'dashboard',
      'module',
      'cli',
    ],
  },
  {
    name: 'adapters',
    from: ['async', 'flow', 'outbox', 'globalid', 'testing', 'http'],
    above: ['metrics', 'health', 'dashboard', 'module', 'cli'],
  },
  {
    name: 'leaf entries',
    from: ['metrics', 'health', 'dashboard'],
    above: [
      'async',
      'flow',
      'outbox',
      'globalid',
      'testing',
      'http',
      'events',
      'module',
      'cli',
      'metrics',
      'health',
      'dashboard',
    ],
  },
];

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: { path: '^libs/' }, to: { circular: true } },
    ...layers.map(({ name, from, above }) => ({
      name: `layer-${name.replace(/ /g, '-')}`,
      comment: `${from.join(', ')} must not import ${above.join(', ')} (layers point one way: DESIGN.md)`,
      severity: 'error',
      from: { path: folders(...from), pathNot: ENTRIES },
      to: { path: folders(...above), pathNot: `${SRC}($1)/` },
    })),
    {
      name: 'no-entry-imports',
      comment:
        'library code imports the file it needs, never an entry point (index.ts, extend.ts): entries re-export, they do not sit in a layer',
      severity: 'error',
      from: { path: SRC, pathNot: [`${SRC}(index|extend)\\.ts$`, ENTRIES] },
      to: { path: [`${SRC}(index|extend)\\.ts$`, ENTRIES, `${SRC}[^/]+/index\\.ts$`] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    exclude: { path: '\\.spec\\.ts$|__fixtures__' },
  },
};
