// The badge a report gets (src/state.js), on reports shaped as the WASM verifier returns them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { badgeFor, shown, filtered, signerName, visible, MAX_SHOWN } from "../src/state.js";

const report = (verdict, extra = {}) => ({
  verdict,
  summary: `${verdict} summary`,
  signer: null,
  ai_generated: false,
  ...extra,
});
const jane = { name: "Jane Doe", organization: "Example News", issuer: "Example News CA" };

test("each verdict has its badge", () => {
  assert.deepEqual(badgeFor(report("trusted", { signer: jane }), null), {
    state: "trusted",
    text: "Jane Doe (Example News)",
    title: "trusted summary",
  });
  assert.equal(badgeFor(report("valid", { signer: jane }), null).state, "unknown");
  assert.equal(badgeFor(report("valid", { signer: jane }), null).text, "Unknown signer");
  assert.equal(badgeFor(report("trusted", { signer: jane, ai_generated: true }), null).state, "ai");
  assert.equal(badgeFor(report("valid", { ai_generated: true }), null).state, "ai");
  assert.equal(badgeFor(report("tampered"), null).state, "tampered");
  assert.equal(badgeFor(report("invalid"), null).state, "invalid");
  assert.equal(badgeFor(report("unsigned"), null).state, "unsigned");
  assert.equal(badgeFor(report("error"), null).state, "error");
});

test("a bank match labels anything but a trusted file", () => {
  const m = { label: "known-fake", note: "", distance: 4 };
  assert.deepEqual(badgeFor(report("unsigned"), m).state, "matched");
  assert.deepEqual(badgeFor(report("unsigned"), m).text, "known-fake");
  assert.equal(badgeFor(report("valid", { signer: jane }), m).state, "matched");
  assert.equal(badgeFor(report("trusted", { signer: jane }), m).state, "trusted");
});

test("modes decide what is drawn and what is blurred", () => {
  assert.equal(shown("trusted", "problems", true), false);
  assert.equal(shown("tampered", "problems", true), true);
  assert.equal(shown("unsigned", "all", false), false);
  assert.equal(shown("unsigned", "filter", false), true);
  assert.deepEqual(
    ["trusted", "unknown", "ai", "tampered", "invalid", "unsigned", "matched", "error"].filter(filtered),
    ["ai", "tampered", "unsigned", "matched"],
  );
  assert.equal(signerName({ name: null, organization: "Org" }), "Org");
  assert.equal(signerName(null), null);
});

test("text from a manifest shows control and bidi characters as escapes, and is cut", () => {
  assert.equal(visible("a\u202egnp.exe"), "a\\u{202e}gnp.exe");
  assert.equal(
    visible("a\u061cb\u2028c\u2029d\u2060e\u2064f"),
    "a\\u{61c}b\\u{2028}c\\u{2029}d\\u{2060}e\\u{2064}f",
  );
  assert.equal(visible("red\u001b[31m\u0000\r\n"), "red\\u{1b}[31m\\u{0}\\u{d}\\u{a}");
  assert.equal(visible("<script>x</script>"), "<script>x</script>", "markup is left to textContent");
  assert.equal(visible(null), null);
  const long = visible("x".repeat(MAX_SHOWN + 50));
  assert.equal([...long].length, MAX_SHOWN + 1);
  assert.ok(long.endsWith("…"));
  const b = badgeFor({ verdict: "trusted", signer: { name: "Eve\u202eevE" }, summary: "s\u0007", ai_generated: false }, null);
  assert.equal(b.text, "Eve\\u{202e}evE");
  assert.equal(b.title, "s\\u{7}");
});
