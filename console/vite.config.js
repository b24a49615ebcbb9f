// Builds the console into the Python package, where `opengram serve` serves it at /console.
// The output is committed; tests/console/test_build.py rebuilds it from the lock file and compares.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: '../src/opengram/console_dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
    // No modulepreload polyfill: every browser with AudioWorklet has modulepreload.
    modulePreload: { polyfill: false },
  },
});
