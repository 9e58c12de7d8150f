/** Nest 12 ships ESM only: ts-jest compiles our TypeScript, @swc/jest turns @nestjs' ESM into CJS (see TOOLCHAIN.md). */
module.exports = {
  testEnvironment: 'node',
  rootDir: '.',
  roots: ['<rootDir>/libs', '<rootDir>/apps', '<rootDir>/test'],
  testRegex: '.*\\.(spec|e2e-spec)\\.ts$',
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
    '^.+\\.m?js$': ['@swc/jest'],
  },
  transformIgnorePatterns: ['/node_modules/(?!@nestjs/)'],
  moduleNameMapper: {
    '^nestjs-servus(|/.*)$': '<rootDir>/libs/servus/src$1',
    '^@app/reports(|/.*)$': '<rootDir>/libs/reports/src$1',
  },
  // Servus's own matchers (toBeSuccess, toEmitEvent, ...), as users opt in to them.
  setupFilesAfterEnv: ['<rootDir>/libs/servus/src/testing/jest-setup.ts'],
  testTimeout: 30000,
};
