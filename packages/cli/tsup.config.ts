import { defineConfig } from 'tsup';

// tsc -b emits the declarations; tsup only bundles the JavaScript.
// Two entries: the library (index) and the process entry (main) that
// bin/dialoghub.js loads. No shebang in either: the bin file carries it.
// Dependencies (the workspace packages, commander, cli-progress) stay
// external and resolve from node_modules at run time.
export default defineConfig({
  entry: ['src/index.ts', 'src/main.ts'],
  format: ['esm'],
  dts: false,
  sourcemap: true,
  clean: false,
  target: 'node20',
});
