import { defineConfig } from "vite";
import { offlineAssets } from "./build/offline-assets.js";

// The build is Firebase Hosting's public folder (firebase.json: hosting.public = frontend/dist).
// `npm run dev` proxies /api to the Hosting emulator so the dev server talks to the same backend.
// offlineAssets adds the on-device model, LiteRT.js's WebAssembly, the nutrition catalog and the service worker.
export default defineConfig({
  plugins: [offlineAssets()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "assets",
    target: "es2022",
    sourcemap: false,
  },
  server: {
    host: "127.0.0.1",
    proxy: { "/api": "http://127.0.0.1:5000" },
  },
});
