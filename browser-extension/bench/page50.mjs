// Page load to all badges drawn, on a page of 50 signed 2 MP JPEGs, in
// headless Chromium with the extension (dist/); and what the service worker
// holds afterwards (JS heap, WASM memory). Prints one JSON object.
//   node bench/page50.mjs [--runs 3]        (from browser-extension/, after npm run build)
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import http from "node:http";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const root = path.resolve(here, "..");
const hallmark = process.env.HALLMARK_BIN ?? path.join(root, "target/release/hallmark");
const runs = Number(process.argv[process.argv.indexOf("--runs") + 1] || 3);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hallmark-page50-"));

// 150 photo-like 2 MP JPEGs, a third signed: keep the 50 signed.
execFileSync("python3", [path.join(root, "bench/make_inbox.py"), path.join(tmp, "inbox"), "--count", "150",
  "--min-mp", "2", "--max-mp", "2", "--seed", "3", "--hallmark", hallmark], { stdio: "ignore" });
const signed = execFileSync("find", [path.join(tmp, "inbox"), "-name", "*-signed.jpg"], { encoding: "utf8" })
  .trim().split("\n").sort().slice(0, 50);
if (signed.length !== 50) throw new Error(`${signed.length} signed images`);
const page = `<!DOCTYPE html><title>50 signed photos</title><body style="margin:0;display:flex;flex-wrap:wrap">` +
  signed.map((_, i) => `<img src="/${i}.jpg" width="134" height="100" style="margin:2px">`).join("") + "</body>";
const server = http.createServer((req, res) => {
  const m = req.url.match(/^\/(\d+)\.jpg$/);
  if (m) {
    res.writeHead(200, { "content-type": "image/jpeg", "cache-control": "max-age=3600" });
    return res.end(fs.readFileSync(signed[Number(m[1])]));
  }
  res.writeHead(200, { "content-type": "text/html" });
  res.end(page);
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const url = `http://127.0.0.1:${server.address().port}/`;

const dist = path.join(here, "dist");
const context = await chromium.launchPersistentContext(path.join(tmp, "profile"), {
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  viewport: { width: 1400, height: 900 },
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", `--disable-extensions-except=${dist}`, `--load-extension=${dist}`],
});
const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent("serviceworker"));
while (!(await worker.evaluate(() => typeof chrome !== "undefined" && !!chrome.storage))) await new Promise((r) => setTimeout(r, 50));

/** Badges drawn: elements with a closed shadow root holding a `.badge` with a state. */
async function badgeCount(p) {
  const cdp = await context.newCDPSession(p);
  const { root: doc } = await cdp.send("DOM.getDocument", { depth: -1, pierce: true });
  await cdp.detach();
  let n = 0;
  const walk = (node) => {
    const a = node.attributes ?? [];
    for (let i = 0; i < a.length; i += 2) if (a[i] === "data-state" && (node.attributes[a.indexOf("class") + 1] ?? "").includes("badge")) n++;
    for (const c of [...(node.children ?? []), ...(node.shadowRoots ?? [])]) walk(c);
  };
  walk(doc);
  return n;
}

const times = [];
for (let run = 0; run < runs; run++) {
  // A fresh page and cold result caches each run (any storage change clears them).
  await worker.evaluate(() => chrome.storage.local.set({ nonce: Math.random() }));
  const p = await context.newPage();
  const t0 = Date.now();
  await p.goto(url + `?run=${run}`);
  while ((await badgeCount(p)) < 50) {
    if (Date.now() - t0 > 60000) throw new Error("badges missing after 60 s");
    await new Promise((r) => setTimeout(r, 25));
  }
  times.push(Date.now() - t0);
  await p.close();
}
const probe = await context.newPage();
await probe.goto(`chrome-extension://${new URL(worker.url()).host}/src/popup.html?tab=-1`);
const stats = await probe.evaluate(() => chrome.runtime.sendMessage({ type: "stats" }));
const sorted = [...times].sort((a, b) => a - b);
console.log(JSON.stringify({
  images: 50,
  megapixels_each: 2,
  page_load_to_all_badges_ms: times,
  median_ms: sorted[Math.floor(sorted.length / 2)],
  worker_wasm_memory_mb: +(stats.wasmMemoryBytes / 2 ** 20).toFixed(1),
  worker_cached_results: stats.cachedDigests,
}, null, 2));
await context.close();
server.close();
fs.rmSync(tmp, { recursive: true, force: true });
