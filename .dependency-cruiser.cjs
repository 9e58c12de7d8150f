/**
 * The layers of libs/servus (see DESIGN.md), checked by `npm run lint`. A folder may import its own
 * layer's leaves and anything below it; never above. Spec files are tests, not layers: they may import
 * the public entries.
 */
const SRC = '^libs/servus/src/';
const folders = (...names) => `${SRC}(${names.join('|')})/`;
/** Entry files re-export (the package.json exports map points at them): they sit in no layer. */
const ENTRIES = `${SRC}((testing|metrics|health|dashboard)/index|testing/jest-setup)\\.ts$`;

/**
 * Each layer at its level: a layer must not import the folders of higher levels, nor the
 * siblings named in `alsoNot` (layers of one level that are independent of each other).
 */
const levels = [
  { name: 'leaves', level: 0, from: ['response', 'util'] },
  { name: 'definitions', level: 1, from: ['service', 'rescue', 'validation'], alsoNot: ['tracing'] },
  { name: 'tracing', level: 1, from: ['tracing'], alsoNot: ['service', 'rescue', 'validation'] },
  { name: 'execution', level: 2, from: ['execution'] },
  { name: 'events', level: 3, from: ['events'], alsoNot: ['metrics', 'health', 'dashboard'] },
  // Leaf entries depend on ports and public types only: never on events or an adapter, nor on each other.
  {
    name: 'leaf entries',
    level: 3,
    from: ['metrics', 'health', 'dashboard'],
    alsoNot: ['events', 'metrics', 'health', 'dashboard'],
  },
  {
    name: 'adapters',
    level: 4,
    from: ['async', 'flow', 'outbox', 'globalid', 'testing', 'http'],
    alsoNot: ['metrics', 'health', 'dashboard'],
  },
  { name: 'top', level: 5, from: ['module', 'cli'] },
];
const layers = levels
  .filter(({ name }) => name !== 'top')
  .map(({ name, level, from, alsoNot = [] }) => ({
    name,
    from,
    above: [...levels.filter((other) => other.level > level).flatMap((other) => other.from), ...alsoNot],
  }));

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
