import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources through the
// `@dialoghub/source` export condition, so tests never need a build first.
// Vitest resolves modules on its server side too: the condition goes there as well.
export default defineConfig({
  resolve: { conditions: ['@dialoghub/source'] },
  ssr: { resolve: { conditions: ['@dialoghub/source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
