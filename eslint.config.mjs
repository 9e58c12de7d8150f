// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'coverage/',
      'libs/servus/dist/',
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
      'test/types/',
      '.stryker-tmp/',
      'reports/mutation/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      // `_name` marks a deliberately unused binding (a destructured field left out, a required parameter).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts', 'test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      // Tests and benchmarks poke at JSON bodies, job payloads and Redis replies whose shape is the thing under test.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      // A test passes what the types would refuse, to check the runtime guard.
      '@typescript-eslint/no-explicit-any': 'off',
      // Fixture services implement `async call()` without awaiting, as a user's service often does.
      '@typescript-eslint/require-await': 'off',
      // expect(mock.method).toHaveBeenCalled() passes jest mocks unbound on purpose.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
