import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
export default {
  preprocess: vitePreprocess(),
  kit: {
    // A static single-page app: Tauri serves the files, there is no server-side rendering.
    adapter: adapter({ fallback: 'index.html', strict: true }),
    output: { bundleStrategy: 'single' },
    version: { pollInterval: 0 }
  },
  compilerOptions: { runes: true }
};
