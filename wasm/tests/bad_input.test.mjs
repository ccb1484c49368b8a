// Hostile and broken input never aborts the module: verify returns an
// `error` report with a code, hash/matchBank/options throw {code, message},
// and the next call still works.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import { fileURLToPath } from "node:url";

import { initSync, verify, hash, matchBank } from "../pkg/hallmark_wasm.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
initSync({ module: fs.readFileSync(path.join(root, "wasm/pkg/hallmark_wasm_bg.wasm")) });
const fixture = (p) => fs.readFileSync(path.join(root, "fixtures", p));
const rootPem = fixture("keys/newsroom/root.pem").toString("utf8");

/** The module still answers correctly after whatever came before. */
function stillWorks() {
  const report = verify(fixture("signed/newsroom.jpg"), { trustAnchorsPem: rootPem });
  assert.equal(report.verdict, "trusted");
  assert.equal(report.signer.name, "Jane Doe");
  assert.equal(hash(fixture("images/sample.png")).width > 0, true);
}

function throwsCode(f, code) {
  let caught;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught, "expected a throw");
  assert.equal(typeof caught, "object");
  assert.equal(caught.code, code, JSON.stringify(caught));
  assert.equal(typeof caught.message, "string");
  assert.ok(caught.message.length > 0);
  assert.ok(!/^[A-Z][a-z]+\s*\{/.test(caught.message), `a Debug string: ${caught.message}`);
}

const jpegHeader = Buffer.from([0xff, 0xd8, 0xff, 0xe0]);
const cases = [
  ["empty", Buffer.alloc(0), "input.empty"],
  ["random bytes", crypto.randomBytes(4096), "format.unrecognized"],
  ["a JPEG that stops after its first bytes", Buffer.concat([jpegHeader, Buffer.from([0, 16])]), null],
  ["a decompression bomb (PNG claiming 100,000 × 100,000)", fixture("attacks/bomb.png"), "limits.dimensions"],
  ["a truncated signed JPEG", fixture("signed/newsroom.jpg").subarray(0, 20000), null],
  ["50 MB of random bytes behind a JPEG header", Buffer.concat([jpegHeader, crypto.randomBytes(50 << 20)]), null],
];

for (const [name, bytes, code] of cases) {
  test(`verify: ${name}`, () => {
    const report = verify(bytes);
    if (name.startsWith("a truncated signed")) {
      assert.equal(report.verdict, "tampered");
    } else {
      assert.equal(report.verdict, "error", JSON.stringify(report));
      assert.equal(typeof report.error.code, "string");
      if (code) assert.equal(report.error.code, code);
    }
    stillWorks();
  });
  test(`hash: ${name}`, () => {
    let threw = null;
    try {
      hash(bytes);
    } catch (e) {
      threw = e;
    }
    assert.ok(threw, "nothing decodable");
    assert.equal(typeof threw.code, "string");
    if (code) assert.equal(threw.code, code);
    stillWorks();
  });
}

test("bad options are thrown with a code", () => {
  throwsCode(() => verify(fixture("signed/newsroom.jpg"), { trustAnchorsPem: "not a PEM" }), "trust.malformed");
  throwsCode(() => verify(fixture("signed/newsroom.jpg"), { trustAnchors: rootPem }), "options.malformed");
  throwsCode(() => verify(fixture("signed/newsroom.jpg"), { mime: 42 }), "options.malformed");
  stillWorks();
});

test("a declared media type must agree with the content", () => {
  assert.equal(verify(fixture("signed/newsroom.jpg"), { mime: "image/jpeg" }).verdict, "valid");
  const report = verify(fixture("signed/newsroom.jpg"), { mime: "image/png" });
  assert.equal(report.verdict, "error");
  assert.equal(report.error.code, "format.mismatch");
});

test("matchBank finds bank entries within the threshold, nearest first, and lists bad lines", () => {
  const a = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
  const flip = (hex, bits) => {
    const b = Buffer.from(hex, "hex");
    for (let i = 0; i < bits; i++) b[i] ^= 1;
    return b.toString("hex");
  };
  const bank = [
    "# label bank",
    `${flip(a, 3)}\tknown-fake\tthree bits away`,
    `${a}\tknown-original\tthe bridge`,
    `${flip(a, 20)}\tfar\ttwenty bits away`,
    "zz\tbroken\tnot a hash",
  ].join("\n");
  const result = matchBank(a, bank, 10);
  assert.deepStrictEqual(
    result.matches.map((m) => [m.label, m.distance]),
    [
      ["known-original", 0],
      ["known-fake", 3],
    ],
  );
  assert.equal(result.bad_lines.length, 1);
  assert.equal(result.bad_lines[0].line, 5);
  assert.equal(matchBank(a, bank, 31).matches.length, 3);
  throwsCode(() => matchBank("xyz", bank, 10), "pdq.malformed");
  throwsCode(() => matchBank(a, bank, 300), "threshold.range");
  stillWorks();
});
