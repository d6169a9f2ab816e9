/**
 * Theory of operation: the console page — one HTML document with the
 * bundled script and style inlined, so the login page is a single public
 * response that holds code and no data, works offline, and loads nothing
 * from anywhere (its Content-Security-Policy allows exactly its own script
 * and style, by hash, and requests to its own origin).
 *
 * Where the bundle comes from:
 * - built (`npm run build`): tsup bundles web/main.ts into
 *   dist/web/console.js and console.css, which are read once;
 * - from sources (vitest, tsx; this module is a `.ts` file): esbuild's API
 *   bundles web/main.ts in memory on the first request, once per process.
 * Both use the same esbuild settings (`WEB_BUILD`), so the page is the same.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** The page's bundle. */
export interface PageBundle {
  readonly js: string;
  readonly css: string;
}

/** The esbuild settings of the page, shared by tsup.config.ts and the in-memory build. */
export const WEB_BUILD = Object.freeze({
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
} as const);

let cached: Promise<PageBundle> | null = null;

/** True when this module runs from its TypeScript source (no build). */
function fromSources(): boolean {
  return import.meta.url.endsWith('.ts');
}

async function bundleSources(): Promise<PageBundle> {
  const esbuild = await import('esbuild');
  const entry = fileURLToPath(new URL('../web/main.ts', import.meta.url));
  const result = await esbuild.build({ ...WEB_BUILD, entryPoints: [entry], write: false, outdir: 'out', logLevel: 'silent' });
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'))?.text;
  const css = result.outputFiles.find((f) => f.path.endsWith('.css'))?.text ?? '';
  if (js === undefined) throw new Error('esbuild produced no script for the console page');
  return { js, css };
}

async function readBuilt(): Promise<PageBundle> {
  const dir = new URL('./web/', import.meta.url);
  const js = await readFile(new URL('console.js', dir), 'utf8');
  const css = await readFile(new URL('console.css', dir), 'utf8').catch(() => '');
  return { js, css };
}

/** The page's script and style: built once per process (see the module comment). */
export function pageBundle(): Promise<PageBundle> {
  cached ??= (fromSources() ? bundleSources() : readBuilt()).catch((e: unknown) => {
    cached = null;
    throw e;
  });
  return cached;
}

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** The HTML document and the Content-Security-Policy that goes with it. */
export interface Page {
  readonly html: string;
  readonly csp: string;
}

/** The console page: the HTML shell with `bundle` inlined, and a CSP that allows only it. */
export function renderPage(bundle: PageBundle): Page {
  // A script must not be able to end its own <script> element.
  const js = bundle.js.replace(/<\/(script)/gi, '<\\/$1');
  const css = bundle.css.replace(/<\/(style)/gi, '<\\/$1');
  const html = [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    '<link rel="icon" href="data:,">',
    '<title>dialoghub console</title>',
    `<style>${css}</style>`,
    '</head>',
    '<body>',
    '<div id="app"><noscript>The dialoghub console needs JavaScript.</noscript></div>',
    `<script>${js}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(js)}`,
    `style-src ${sha256(css)}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, csp };
}
