import { defineConfig } from "vite";

// The build is Firebase Hosting's public folder (firebase.json: hosting.public = frontend/dist).
// `npm run dev` proxies /api to the Hosting emulator so the dev server talks to the same backend.
export default defineConfig({
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
