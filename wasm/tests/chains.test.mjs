// Hostile certificate chains, made with fresh keys on every run by
// `make-fixtures --hostile-chains`: the WASM verifier gives each the verdict
// expected.tsv names, as the native CLI does, and trusts only the proper chain.
//
//   node --test wasm/tests/   (MAKE_FIXTURES_BIN: default target/debug/make-fixtures)
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { initSync, verify } from "../pkg/hallmark_wasm.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const makeFixtures = process.env.MAKE_FIXTURES_BIN ?? path.join(root, "target/debug/make-fixtures");
const native = process.env.HALLMARK_BIN ?? path.join(root, "target/debug/hallmark");
initSync({ module: fs.readFileSync(path.join(root, "wasm/pkg/hallmark_wasm_bg.wasm")) });

test("every hostile chain gets its expected verdict, as natively; only the proper ones are trusted", () => {
  assert.ok(fs.existsSync(makeFixtures), `${makeFixtures}: cargo build -p hallmark-fixtures`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hallmark-chains-"));
  try {
    execFileSync(makeFixtures, ["--hostile-chains", dir], { stdio: "ignore" });
    const rootPem = path.join(dir, "root.pem");
    const trustAnchorsPem = fs.readFileSync(rootPem, "utf8");
    const rows = fs
      .readFileSync(path.join(dir, "expected.tsv"), "utf8")
      .split("\n")
      .filter((l) => l && !l.startsWith("#"))
      .map((l) => l.split("\t"));
    assert.equal(rows.length, 13);
    let trusted = 0;
    for (const [file, expected] of rows) {
      const bytes = fs.readFileSync(path.join(dir, file));
      const report = verify(bytes, { trustAnchorsPem, tsaAnchorsPem: trustAnchorsPem });
      assert.equal(report.verdict, expected, `${file}: ${report.summary}`);
      assert.equal(report.signer.trusted, expected === "trusted", file);
      let out;
      try {
        out = execFileSync(native, ["verify", "--json", "--trust", rootPem, "--tsa-trust", rootPem, path.join(dir, file)], {
          encoding: "utf8",
          env: { ...process.env, HALLMARK_CONFIG_DIR: "/nonexistent/hallmark-wasm-test" },
        });
      } catch (e) {
        out = e.stdout;
      }
      const want = JSON.parse(out);
      assert.equal(report.verdict, want.verdict, file);
      assert.equal(report.summary, want.summary, file);
      assert.deepStrictEqual(report.signer.chain, want.signer.chain, file);
      assert.equal(report.signed_at, want.signed_at, file);
      if (report.verdict === "trusted") {
        trusted += 1;
        assert.equal(report.signer.anchor.source, "trustAnchorsPem");
        assert.equal(report.signer.anchor.certificate_sha256, want.signer.anchor.certificate_sha256);
      }
    }
    assert.equal(trusted, 2);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
