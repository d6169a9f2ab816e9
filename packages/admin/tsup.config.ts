import { defineConfig } from 'tsup';

// Two builds. tsc -b emits the declarations of both.
// 1. The library (src/index.ts) for node; dependencies stay external.
// 2. The console page (web/main.ts) for the browser: one self-contained
//    script and one stylesheet in dist/web/, which src/page.ts inlines into
//    the HTML it serves. Run from sources (tests, tsx), src/page.ts bundles
//    web/main.ts itself with esbuild and the same settings (WEB_BUILD).
export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm'],
    dts: false,
    sourcemap: true,
    clean: false,
    target: 'node20',
    // Only loaded when running from sources (src/page.ts); never from dist.
    external: ['esbuild'],
  },
  {
    entry: { console: 'web/main.ts' },
    outDir: 'dist/web',
    format: ['iife'],
    platform: 'browser',
    target: 'es2022',
    minify: true,
    dts: false,
    sourcemap: false,
    clean: false,
    outExtension: () => ({ js: '.js' }),
  },
]);
