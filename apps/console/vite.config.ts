import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

// The API serves this build at / and its files under /assets/ (apps/api/src/console); npm run build writes it to dist/console.
export default defineConfig({
  root: here,
  base: '/',
  plugins: [react()],
  // The policy table is plain data with no imports: the console reads permission names from it, not from a copy.
  resolve: {
    alias: {
      '@access-audit/policy': fileURLToPath(new URL('../../libs/domain/src/policy/policy.ts', import.meta.url)),
    },
  },
  build: {
    outDir: fileURLToPath(new URL('../../dist/console', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    // No inline script or data: module: the page's Content-Security-Policy allows scripts from 'self' only.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
});
