// What the extension draws comes from these exports (core's display and
// screen modules): badges, cards, placement per mode and filter level, the
// cheap screen pass, the screenshot comparison, the limits. Reports from the
// real fixtures; hostile values are thrown as {code, message}.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

import {
  initSync,
  present,
  notChecked,
  uncheckable,
  placement,
  screenPrecheck,
  screenBadge,
  visible,
  badgeStates,
  extensionLimits,
  ScreenReference,
} from "../pkg/hallmark_wasm.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
initSync({ module: fs.readFileSync(path.join(root, "wasm/pkg/hallmark_wasm_bg.wasm")) });
const fixture = (p) => fs.readFileSync(path.join(root, "fixtures", p));
const trust = { trustAnchorsPem: fixture("keys/newsroom/root.pem").toString("utf8") };

function throwsCode(f, code) {
  let caught;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  assert.equal(caught?.code, code, JSON.stringify(caught));
  assert.equal(typeof caught.message, "string");
}

test("each fixture gets its badge and card", () => {
  const cases = {
    "signed/newsroom.jpg": ["trusted", "Jane Doe (Example News)", true],
    "signed/stranger.jpg": ["unknown", "Unknown signer", false],
    "attacks/pixel-flip.jpg": ["tampered", "Tampered", false],
    "signed/ai-generated.jpg": ["ai", "AI-generated", false],
    "images/sample.jpg": ["unsigned", "Unsigned", false],
  };
  for (const [file, [state, text, screen]] of Object.entries(cases)) {
    const p = present(fixture(file), trust, []);
    assert.deepEqual([p.badge.state, p.badge.text, p.screen], [state, text, screen], file);
    assert.equal(p.digest.length, 64);
  }
  const trusted = present(fixture("signed/newsroom.jpg"), trust, []);
  const rows = Object.fromEntries(trusted.card.sections.flatMap((s) => s.rows.map((r) => [r.label, r.value])));
  assert.equal(rows["Vouched for by"], "Example News CA (Example News) (from trustAnchorsPem)");
  assert.equal(rows.Actions, "c2pa.created");
  // A tampered file's claims stand under their own heading.
  const tampered = present(fixture("attacks/pixel-flip.jpg"), trust, []);
  assert.ok(tampered.card.sections.some((s) => s.heading?.startsWith("Claimed, not verified")), JSON.stringify(tampered.card));
});

test("a bank matches in every orientation, with hallmark match's threshold, but never relabels a trusted file", () => {
  const hallmark = process.env.HALLMARK_BIN ?? path.join(root, "target/debug/hallmark");
  const pdq = JSON.parse(execFileSync(hallmark, ["hash", "--json", path.join(root, "fixtures/images/sample.jpg")], { encoding: "utf8" })).pdq;
  const bank = `${pdq}\tknown-fake\tfalse caption\n`;
  const p = present(fixture("images/sample.jpg"), trust, [bank]);
  assert.deepEqual([p.badge.state, p.badge.text, p.bank.label, p.bank.transform], ["matched", "known-fake", "known-fake", "original"]);
  assert.equal(present(fixture("signed/newsroom.jpg"), trust, [bank]).badge.state, "trusted");
  assert.equal(present(fixture("images/other.jpg"), trust, [bank]).bank, null);
});

test("placement: strict filtering veils all but trusted, known-bad only the known-bad", () => {
  const states = badgeStates().map((s) => s.state);
  assert.deepEqual(states, ["matched", "mismatch", "tampered", "invalid", "ai", "unknown", "pending", "trusted", "recovered", "unsigned", "error"]);
  const veiled = (view) => states.filter((s) => placement(s, view, true).veil);
  assert.deepEqual(veiled({ mode: "filter" }), states.filter((s) => s !== "trusted"));
  assert.deepEqual(veiled({ mode: "filter", filter: "known-bad" }), ["matched", "tampered", "invalid", "ai", "unsigned"]);
  assert.deepEqual(veiled({ mode: "all" }), []);
  assert.deepEqual(placement("error", { mode: "filter" }, false), { show: false, veil: true });
  assert.equal(placement("trusted", { mode: "problems" }, true).show, false);
  throwsCode(() => placement("green", { mode: "all" }, true), "options.malformed");
  throwsCode(() => placement("trusted", { mode: "everything" }, true), "options.malformed");
});

test("the screen decides whether a trusted badge is green", () => {
  const { badge } = present(fixture("signed/newsroom.jpg"), trust, []);
  assert.deepEqual(screenBadge(badge, { kind: "same" }), badge);
  assert.equal(screenBadge(badge, { kind: "pending", reason: "x" }).state, "pending");
  const differs = screenBadge(badge, { kind: "differs", reason: "something on the page covers it" });
  assert.deepEqual([differs.state, differs.text], ["mismatch", "Not what you see"]);
  const seen = { tabVisible: true, shownWidth: 320, shownHeight: 240, shownFraction: 1, opacity: 1, restyled: "", covered: false };
  assert.equal(screenPrecheck(seen), null);
  assert.deepEqual(screenPrecheck({ ...seen, opacity: 0 }), { kind: "differs", reason: "the page draws it 100% transparent" });
  assert.equal(screenPrecheck({ ...seen, tabVisible: false }).kind, "pending");
  throwsCode(() => screenBadge({ state: "trusted" }, { kind: "same" }), "options.malformed");
  throwsCode(() => screenPrecheck({ opacity: "none" }), "options.malformed");
});

test("ScreenReference compares crops and refuses malformed ones", () => {
  const reference = new ScreenReference(fixture("images/sample.png"));
  const rgba = new Uint8Array(40 * 40 * 4);
  const whole = { x: 0, y: 0, width: 1, height: 1 };
  assert.equal(reference.compare(rgba, 40, 40, whole, []).outcome.kind, "differs", "a black square is not the picture");
  assert.equal(reference.compare(rgba.subarray(0, 100), 40, 40, whole, []).outcome.kind, "differs");
  throwsCode(() => reference.compare(rgba, 40, 40, { x: "left" }, []), "options.malformed");
  throwsCode(() => new ScreenReference(new Uint8Array([1, 2, 3])), "format.unrecognized");
  reference.free();
});

test("text, errors and limits come from the core", () => {
  assert.equal(visible("a\u202egnp.exe"), "a\\u{202e}gnp.exe");
  assert.equal([...visible("x".repeat(700))].length, 601);
  const redirected = notChecked("fetch.redirected", "not checked (redirected)");
  assert.deepEqual([redirected.badge.state, redirected.badge.text], ["error", "Not checked"]);
  assert.equal(redirected.badge.title, "fetch.redirected: not checked (redirected)");
  // Only Hallmark's own error codes (the README's table) are shown.
  throwsCode(() => notChecked("fetch.redirectd", "typo"), "options.malformed");
  assert.equal(uncheckable("canvas").badge.text, "Not checked (canvas)");
  throwsCode(() => uncheckable("iframe"), "options.malformed");
  const limits = extensionLimits();
  assert.equal(limits.maxBytes, 32 * 1024 * 1024);
  assert.equal(limits.bankMatchBits, 31);
  assert.equal(limits.captureIntervalMs >= 500, true, "Chrome allows two captures a second");
});
