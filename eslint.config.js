// Lint rules: typescript-eslint's recommended set, plus a few that catch real bugs in async code.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.local/**', '**/cdktf.out/**', 'infra/.gen/**', 'infra/.deploy/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    // The emulator and the local host are products of their own: they use none of the app's code.
    files: ['local/eventhubs-emulator/**', 'local/host/**'],
    ignores: ['**/test/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^(\\.\\./)+(shared|functions|load-tests)/', message: 'The emulator and the local host stand alone: no imports from the app.' }] },
      ],
    },
  },
);
