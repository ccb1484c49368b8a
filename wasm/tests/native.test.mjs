// The WASM build against the native CLI, file by file: every file of
// ../shared/corpus/c2pa-rs (its video, audio and other media too),
// ../shared/corpus/pdq and the project's fixtures
// must get the same report from `verify` as from `hallmark verify --json`
// (all fields but `path`), with and without trust anchors, and the same
// hashes (or the same error code) from `hash` as from `hallmark hash --json`.
//
//   node --test wasm/tests/    (HALLMARK_BIN: the native binary, default target/debug/hallmark)
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { initSync, verify, hash, version } from "../pkg/hallmark_wasm.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const native = process.env.HALLMARK_BIN ?? path.join(root, "target/debug/hallmark");
initSync({ module: fs.readFileSync(path.join(root, "wasm/pkg/hallmark_wasm_bg.wasm")) });

const corpus = path.resolve(root, "../shared/corpus");
const filesIn = (dir, keep = () => true) =>
  fs
    .readdirSync(dir)
    .map((name) => path.join(dir, name))
    .filter((p) => fs.statSync(p).isFile() && keep(p))
    .sort();
const isData = (p) => !/\.(tsv|md|pem|json|txt)$/.test(p);
const files = [
  ...filesIn(path.join(corpus, "c2pa-rs"), isData),
  ...filesIn(path.join(corpus, "c2pa-rs/media"), isData),
  ...filesIn(path.join(corpus, "pdq"), isData),
  ...filesIn(path.join(corpus, "pdq/bridge-mods"), isData),
  ...filesIn(path.join(root, "fixtures/images")),
  ...filesIn(path.join(root, "fixtures/signed")),
  ...filesIn(path.join(root, "fixtures/attacks")),
  ...filesIn(path.join(root, "fixtures/media"), isData),
];

/** One JSON object per line of the native CLI's output, by path. */
function nativeJson(args) {
  let out;
  try {
    out = execFileSync(native, args, {
      env: { ...process.env, HALLMARK_CONFIG_DIR: "/nonexistent/hallmark-wasm-test" },
      maxBuffer: 256 << 20,
      encoding: "utf8",
    });
  } catch (e) {
    out = e.stdout; // a non-zero exit still prints every report
  }
  const byPath = new Map();
  for (const line of out.split("\n").filter(Boolean)) {
    const value = JSON.parse(line);
    byPath.set(value.path, value);
  }
  return byPath;
}

/** The report less `path`, and less where an anchor was configured (the CLI
 * names its `--trust` file, the WASM package its `trustAnchorsPem` option). */
const withoutPath = ({ path: _, ...rest }) => {
  const out = structuredClone(rest);
  if (out.signer?.anchor) out.signer.anchor.source = "(configured)";
  return out;
};

test("the corpus and fixtures are all there", () => {
  assert.ok(fs.existsSync(native), `${native}: build it first (cargo build -p hallmark-cli)`);
  assert.ok(files.length >= 40, `only ${files.length} files found`);
  assert.match(version(), /^hallmark\/\d+\.\d+\.\d+ \(c2pa-rs 0\.90\.\d+\)$/);
});

const trustConfigs = [
  { name: "no trust anchors", pems: [] },
  {
    name: "trusting the newsroom root and the c2pa-rs test roots",
    pems: [
      path.join(root, "fixtures/keys/newsroom/root.pem"),
      path.join(corpus, "c2pa-rs/certs/trust/test_cert_root_bundle.pem"),
    ],
  },
];

for (const { name, pems } of trustConfigs) {
  test(`verify gives the native report for every file, ${name}`, () => {
    const args = ["verify", "--json", ...pems.flatMap((p) => ["--trust", p]), ...files];
    const expected = nativeJson(args);
    const trustAnchorsPem = pems.map((p) => fs.readFileSync(p, "utf8")).join("\n");
    const verdicts = {};
    for (const file of files) {
      const report = verify(fs.readFileSync(file), { trustAnchorsPem });
      const want = expected.get(file);
      assert.ok(want, `no native report for ${file}`);
      assert.deepStrictEqual(withoutPath(report), withoutPath(want), file);
      verdicts[report.verdict] = (verdicts[report.verdict] ?? 0) + 1;
    }
    // The mix is wide: every verdict but recovered appears.
    for (const v of ["error", "unsigned", "tampered", "invalid", "valid"]) {
      assert.ok(verdicts[v] > 0, `no ${v} file: ${JSON.stringify(verdicts)}`);
    }
    if (pems.length) assert.ok(verdicts.trusted >= 5, JSON.stringify(verdicts));
  });
}

test("hash gives the native PDQ, quality, pixel digest and size, or the same error code", () => {
  const expected = nativeJson(["hash", "--json", ...files]);
  let hashed = 0;
  let videos = 0;
  for (const file of files) {
    const want = expected.get(file);
    assert.ok(want, `no native hash for ${file}`);
    let got;
    try {
      got = hash(fs.readFileSync(file));
    } catch (e) {
      if (/\.(mp4|mov|avi)$/i.test(file)) {
        // A video: the CLI hashes its frames (vPDQ, FFmpeg) or says why it
        // can't; the WASM package decodes none.
        assert.equal(e.code, "format.unsupported", file);
        if (want.vpdq) videos += 1;
        continue;
      }
      assert.ok(want.error, `${file}: wasm threw ${JSON.stringify(e)}, native hashed it`);
      assert.equal(e.code, want.error.code, file);
      assert.equal(typeof e.message, "string");
      continue;
    }
    assert.ok(!want.error, `${file}: native said ${JSON.stringify(want.error)}`);
    assert.deepStrictEqual(got, withoutPath(want), file);
    hashed += 1;
  }
  assert.ok(hashed >= 30, `${hashed} files hashed`);
  assert.ok(videos >= 4, `${videos} videos hashed by the CLI alone`);
});

test("PDQ of the reference images matches Meta's expected hashes within the reference's rule", () => {
  const tsv = fs.readFileSync(path.join(corpus, "pdq/expected.tsv"), "utf8");
  let exact = 0;
  for (const line of tsv.split("\n").filter((l) => l && !l.startsWith("#"))) {
    const [name, pdq, quality] = line.split("\t");
    const got = hash(fs.readFileSync(path.join(corpus, "pdq", name)));
    const distance = [...Buffer.from(got.pdq, "hex")].reduce(
      (n, b, i) => n + popcount(b ^ Buffer.from(pdq, "hex")[i]),
      0,
    );
    if (Number(quality) >= 80) assert.ok(distance <= 10, `${name}: ${distance} bits`);
    if (name.endsWith(".png")) assert.equal(got.pdq, pdq, `${name}: PNG pixels are exact`);
    if (distance === 0) exact += 1;
  }
  assert.ok(exact >= 1);
});

function popcount(b) {
  let n = 0;
  for (; b; b &= b - 1) n += 1;
  return n;
}
