import { defineConfig } from 'vite'

// Served by the server under /console/ with `Content-Security-Policy: default-src 'self'`:
// no inline script, no inline style, no request to any other origin.
export default defineConfig({
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // No data: URIs for small assets (CSP img-src/font-src 'self' would refuse them).
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: true,
  },
  // `npm run dev -w @tokenmint/console`: the API calls go to a running server
  // (TOKENMINT_URL, default http://127.0.0.1:8080), so the session cookie stays same-origin.
  server: {
    host: '127.0.0.1',
    proxy: Object.fromEntries(
      ['/admin', '/console/api', '/t/'].map((prefix) => [
        prefix,
        { target: process.env['TOKENMINT_URL'] ?? 'http://127.0.0.1:8080' },
      ]),
    ),
  },
})
