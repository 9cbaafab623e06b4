import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{services,packages,test}/**/*.{unit,int,e2e}.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
