// Builds the pages into one directory that hoistway-ingest serves under /:
//   index.html            the shell (no inline script or style: the CSP forbids them)
//   assets/app-HASH.js    the bundle, named by its content (served as immutable)
//   assets/app-HASH.css
// and beside each file its gzip (.gz), so the server sends compressed bytes without compressing
// at run time. Usage: node build.mjs [--out DIR] [--dev]   (default out: dist/)
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync, constants as zlib } from "node:zlib";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const outIndex = args.indexOf("--out");
const out = resolve(outIndex >= 0 ? args[outIndex + 1] : join(here, "dist"));
const dev = args.includes("--dev");

const result = await build({
  entryPoints: { app: join(here, "src/main.tsx") },
  bundle: true,
  minify: !dev,
  sourcemap: false,
  format: "esm",
  target: ["es2020", "chrome100", "firefox100", "safari15"],
  jsx: "automatic",
  jsxImportSource: "preact",
  loader: { ".svg": "text" },
  write: false,
  outdir: "assets",
  entryNames: "[name]-[hash]",
  metafile: true,
  logLevel: "warning",
  legalComments: "none",
});

// The whole directory is rewritten: a file left from an older build would be served.
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "assets"), { recursive: true });

const names = {};
for (const file of result.outputFiles) {
  const rel = relative(join(process.cwd(), "assets"), file.path);
  const name = rel.replace(/^(\.\.\/)+/, "");
  writeFileSync(join(out, "assets", name), file.contents);
  if (name.endsWith(".js")) names.js = `/assets/${name}`;
  if (name.endsWith(".css")) names.css = `/assets/${name}`;
}

const shell = readFileSync(join(here, "src/index.html"), "utf8")
  .replace("%APP_JS%", names.js)
  .replace("%APP_CSS%", names.css ?? "");
writeFileSync(join(out, "index.html"), shell);
for (const extra of ["favicon.svg"]) {
  writeFileSync(join(out, extra), readFileSync(join(here, "src", extra)));
}

// Gzip beside every file; the sum is what a first visit transfers (the budget in issue 15).
let total = 0;
let totalGz = 0;
const walk = (dir) =>
  readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));
for (const path of walk(out)) {
  if (path.endsWith(".gz")) continue;
  const bytes = readFileSync(path);
  const gz = gzipSync(bytes, { level: zlib.Z_BEST_COMPRESSION });
  writeFileSync(`${path}.gz`, gz);
  total += bytes.length;
  totalGz += gz.length;
}
console.log(`web: built ${relative(process.cwd(), out) || "."}: ${total} bytes, ${totalGz} gzipped`);
