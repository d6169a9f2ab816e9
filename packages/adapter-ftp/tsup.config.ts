import { defineConfig } from 'tsup';

// tsc -b emits the declarations; tsup only bundles the JavaScript.
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: false,
  sourcemap: true,
  clean: false,
  target: 'node20',
});
