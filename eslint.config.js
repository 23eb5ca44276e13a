// Lint rules: typescript-eslint's recommended set, plus rules that catch real bugs in async code. The
// async ones need types, so TypeScript files are linted with the compiler's view (projectService:
// each file's nearest tsconfig.json); JavaScript files get the rules that need no types.
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
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // A promise nobody awaits or handles loses its rejection; one passed where a void callback is
      // expected (an event handler, forEach) is not awaited by the caller.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // `await` (or `for await`) on something that is not a promise or async iterable is a mistake.
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  {
    // The emulator and the local host are products of their own: they use none of the app's code.
    files: ['local/eventhubs-emulator/**', 'local/host/**'],
    ignores: ['**/test/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+(shared|functions|load-tests)/',
              message: 'The emulator and the local host stand alone: no imports from the app.',
            },
          ],
        },
      ],
    },
  },
);
