import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', '.local/**', '**/cdktf.out/**', 'infra/.deploy/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Suites start real servers on free ports; two workers fit this 2-core machine.
    maxWorkers: 2,
  },
});
