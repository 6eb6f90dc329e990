// Gzipped bytes a first visit downloads: index.html plus the scripts, styles and module preloads it links
// (the dashboard's Chart.js chunk is loaded later, on demand, and is reported apart).
//   npm run build && npm run size
import { readFileSync, readdirSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join } from "node:path";

const dist = new URL("../dist/", import.meta.url).pathname;
const html = readFileSync(join(dist, "index.html"), "utf8");
const linked = [...html.matchAll(/<(?:script|link)\b[^>]*?\s(?:src|href)="\/([^"]+)"/g)].map((match) => match[1]);
const gz = (path) => gzipSync(readFileSync(join(dist, path)), { level: 9 }).length;

const rows = [["index.html", gz("index.html")], ...linked.map((path) => [path, gz(path)])];
const total = rows.reduce((sum, [, bytes]) => sum + bytes, 0);
for (const [path, bytes] of rows) console.log(`${(bytes / 1024).toFixed(1).padStart(7)} KB  ${path}`);
console.log(`${(total / 1024).toFixed(1).padStart(7)} KB  first load, gzipped`);
const later = readdirSync(join(dist, "assets")).filter((name) => !linked.includes(`assets/${name}`));
for (const name of later) console.log(`${(gz(`assets/${name}`) / 1024).toFixed(1).padStart(7)} KB  assets/${name} (on demand)`);
