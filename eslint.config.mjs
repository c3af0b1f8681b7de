import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Apps talk through their public index (STYLE.md principle 9). */
const THROUGH_THE_INDEX = {
  regex: '^(\\.\\./)+(apps/|libs/)?[a-z-]+/src/(?!testing(/|$)).+',
  message:
    "Import another app or lib through its index ('<app>/src' or '@linkage/<lib>'), never its internals.",
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        process: 'readonly',
        console: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    // The web page's browser modules (apps/web/client): plain ES modules run by the browser.
    files: ['apps/web/client/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'location',
          'sessionStorage',
          'fetch',
          'URL',
          'URLSearchParams',
          'Blob',
          'FormData',
          'Node',
          'HashChangeEvent',
          'requestAnimationFrame',
          'setTimeout',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    // No import of another app's or a lib's internals by relative path. An app's `src/testing/`
    // is its public test support.
    files: ['apps/**/*.ts', 'libs/**/*.ts', 'test/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [THROUGH_THE_INDEX] }],
    },
  },
  {
    // The domain is pure: no framework, driver, clock or randomness. After the block above: a
    // later block's options for a rule replace an earlier one's, so this one repeats the index
    // pattern rather than losing the purity patterns to it.
    files: ['libs/domain/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            THROUGH_THE_INDEX,
            {
              group: [
                '@nestjs/*',
                'postgres',
                'kafkajs',
                '@eventstore/*',
                'node:*',
                'fs',
                'crypto',
              ],
              message: 'The domain is pure: no framework, driver or I/O (STYLE.md principle 1).',
            },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random' },
        { object: 'Date', property: 'now' },
      ],
    },
  },
);
