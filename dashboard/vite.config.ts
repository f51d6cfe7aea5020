import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** Built into dist/ (not committed) and served by Colony at /dashboard. */
export default defineConfig({
  root: here('.'),
  base: '/dashboard/',
  plugins: [react()],
  resolve: {
    alias: [{ find: /^@colony\/client(.*)$/, replacement: `${here('../client/src')}$1` }],
  },
  build: { outDir: here('dist'), emptyOutDir: true, chunkSizeWarningLimit: 1024 },
  logLevel: 'warn',
});
