// Assemble the unpacked extension in browser-extension/dist/: the manifest,
// src/, icons/ and the WASM package from ../wasm/pkg (built by wasm/build.sh
// when missing). Load dist/ with chrome://extensions → "Load unpacked".
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const pkg = path.resolve(here, "../wasm/pkg");
if (!fs.existsSync(path.join(pkg, "hallmark_wasm_bg.wasm"))) {
  execFileSync(path.resolve(here, "../wasm/build.sh"), { stdio: "inherit" });
}
const dist = path.join(here, "dist");
fs.rmSync(dist, { recursive: true, force: true });
fs.mkdirSync(path.join(dist, "wasm"), { recursive: true });
fs.copyFileSync(path.join(here, "manifest.json"), path.join(dist, "manifest.json"));
fs.cpSync(path.join(here, "src"), path.join(dist, "src"), { recursive: true });
fs.cpSync(path.join(here, "icons"), path.join(dist, "icons"), { recursive: true });
for (const f of ["hallmark_wasm.js", "hallmark_wasm_bg.wasm"]) {
  fs.copyFileSync(path.join(pkg, f), path.join(dist, "wasm", f));
}
console.log(`extension assembled in ${path.relative(process.cwd(), dist) || dist}`);
