// Time Hallmark's WASM verify in Node against the native CLI on the same
// file, and compare package sizes with @contentauth/c2pa-wasm 0.13.3.
//   node bench/wasm.mjs FILE [--native target/release/hallmark] [--c2pa-wasm DIR]
// Prints one JSON object. Run by bench/wasm.sh, which fetches the reference package.
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { execFileSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const file = args[0];
const native = opt("--native", path.join(root, "target/release/hallmark"));
const refDir = opt("--c2pa-wasm", null);
const runs = Number(opt("--runs", "31"));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const { initSync, verify } = await import(pathToFileURL(path.join(root, "wasm/pkg/hallmark_wasm.js")));
const wasmBytes = fs.readFileSync(path.join(root, "wasm/pkg/hallmark_wasm_bg.wasm"));
initSync({ module: wasmBytes });
const bytes = fs.readFileSync(file);

verify(bytes); // warm-up: compile tiers, first allocation
const wasmTimes = [];
let verdict;
for (let i = 0; i < runs; i++) {
  const t = process.hrtime.bigint();
  verdict = verify(bytes).verdict;
  wasmTimes.push(Number(process.hrtime.bigint() - t) / 1e6);
}

// The native CLI: one process a run, as a user runs it (includes process start).
const nativeTimes = [];
for (let i = 0; i < runs; i++) {
  const t = process.hrtime.bigint();
  try {
    execFileSync(native, ["verify", "--json", file], { env: { ...process.env, HALLMARK_CONFIG_DIR: "/nonexistent" } });
  } catch {}
  nativeTimes.push(Number(process.hrtime.bigint() - t) / 1e6);
}

const size = (b) => ({ bytes: b.length, gzip9: zlib.gzipSync(b, { level: 9 }).length });
const result = {
  file,
  file_bytes: bytes.length,
  verdict,
  wasm_verify_ms: median(wasmTimes),
  native_verify_ms: median(nativeTimes),
  ratio_wasm_over_native: +(median(wasmTimes) / median(nativeTimes)).toFixed(2),
  hallmark_wasm: size(wasmBytes),
};

if (refDir) {
  const refWasm = fs.readFileSync(path.join(refDir, "pkg/c2pa_bg.wasm"));
  result.c2pa_wasm = size(refWasm);
  result.size_ratio = +(wasmBytes.length / refWasm.length).toFixed(2);
  // The reference reads and validates manifests in Node too: WasmReader.fromBytes (no Blob needed).
  try {
    const ref = await import(pathToFileURL(path.join(refDir, "pkg/c2pa.js")));
    ref.initSync({ module: refWasm });
    const read = async () => {
      const reader = await ref.WasmReader.fromBytes("image/jpeg", bytes);
      const json = reader.json();
      reader.free();
      return json;
    };
    await read();
    // Interleaved, a pair a run: the ratio of each pair, then their median,
    // so that the machine's drift during the run moves both sides alike.
    const ours = [], refTimes = [], ratios = [];
    for (let i = 0; i < runs; i++) {
      let t = process.hrtime.bigint();
      verify(bytes);
      const a = Number(process.hrtime.bigint() - t) / 1e6;
      t = process.hrtime.bigint();
      await read();
      const b = Number(process.hrtime.bigint() - t) / 1e6;
      ours.push(a);
      refTimes.push(b);
      ratios.push(a / b);
    }
    result.paired_wasm_verify_ms = median(ours);
    result.c2pa_wasm_read_ms = median(refTimes);
    result.ratio_hallmark_wasm_over_c2pa_wasm = +median(ratios).toFixed(2);
    result.ratio_spread = [Math.min(...ratios), Math.max(...ratios)].map((r) => +r.toFixed(2));
  } catch (e) {
    result.c2pa_wasm_error = String(e).slice(0, 300);
  }
}
console.log(JSON.stringify(result, null, 2));
