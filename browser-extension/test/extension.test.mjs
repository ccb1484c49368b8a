// The unpacked extension (dist/) in Debian's Chromium, driven by
// playwright-core, against the local test site (test/site.mjs). Asserts the
// badge state drawn over each image (read from the closed shadow roots
// through the DevTools protocol, as the page itself never can), the details
// card, feed-filter mode, a hostile page, the popup, and that no request
// leaves for anything but the page's own images. Screenshots go to
// browser-extension/test-artifacts/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execFileSync, spawn } from "node:child_process";
import { chromium } from "playwright-core";

import { makeImages, pages, serve, HOSTILE_TITLE } from "./site.mjs";

const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const root = path.resolve(here, "..");
const dist = path.join(here, "dist");
const artifacts = path.join(here, "test-artifacts");
const hallmark = process.env.HALLMARK_BIN ?? path.join(root, "target/debug/hallmark");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

let tmp, servers, context, worker, origin, crossOrigin;
const requests = [];

before(async () => {
  assert.ok(fs.existsSync(path.join(dist, "manifest.json")), "run `npm run build` first");
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} missing: apt-get install chromium`);
  assert.ok(fs.existsSync(hallmark), `${hallmark} missing: cargo build -p hallmark-cli`);
  fs.mkdirSync(artifacts, { recursive: true });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hallmark-ext-"));
  const site = path.join(tmp, "site");
  fs.mkdirSync(site);
  makeImages(site, root, hallmark);
  let sitePages = {};
  const main = await serve(site, () => sitePages, requests);
  const cross = await serve(site, () => ({}), requests);
  // "Another host" on the loopback network, for redirects.
  const other = await serve(site, () => ({}), requests, "127.0.0.2");
  servers = [main, cross, other];
  origin = `http://127.0.0.1:${main.address().port}`;
  crossOrigin = `http://127.0.0.1:${cross.address().port}`;
  const elsewhere = `http://127.0.0.2:${other.address().port}`;
  const stranger = fs.readFileSync(path.join(root, "fixtures/signed/stranger.jpg")).toString("base64");
  sitePages = pages(crossOrigin, `data:image/jpeg;base64,${stranger}`, elsewhere);
  context = await chromium.launchPersistentContext(path.join(tmp, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      `--disable-extensions-except=${dist}`,
      `--load-extension=${dist}`,
    ],
  });
  worker = context.serviceWorkers()[0] ?? (await context.waitForEvent("serviceworker", { timeout: 20000 }));
  // The worker is announced before its extension APIs are bound: wait for them.
  for (let i = 0; !(await worker.evaluate(() => typeof chrome !== "undefined" && !!chrome.storage)); i++) {
    assert.ok(i < 100, "the service worker never got its chrome.* APIs");
    await new Promise((r) => setTimeout(r, 100));
  }
  const pem = fs.readFileSync(path.join(root, "fixtures/keys/newsroom/root.pem"), "utf8");
  await worker.evaluate((trustPem) => chrome.storage.local.set({ trustPem, mode: "all", showUnsigned: true }), pem);
});

after(async () => {
  await context?.close();
  for (const s of servers ?? []) s.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** Every badge host drawn on the page, read through closed shadow roots: {left, top, state, text, veil, card}. */
async function drawn(page) {
  const cdp = await context.newCDPSession(page);
  const { root: doc } = await cdp.send("DOM.getDocument", { depth: -1, pierce: true });
  await cdp.detach();
  const attrs = (n) => Object.fromEntries((n.attributes ?? []).reduce((a, v, i, all) => (i % 2 ? a : [...a, [v, all[i + 1]]]), []));
  const text = (n) => (n.nodeType === 3 ? n.nodeValue : (n.children ?? []).map(text).join(""));
  const find = (n, pred, out = []) => {
    if (pred(n)) out.push(n);
    for (const c of [...(n.children ?? []), ...(n.shadowRoots ?? []), ...(n.contentDocument ? [n.contentDocument] : [])]) find(c, pred, out);
    return out;
  };
  // Our hosts: elements with a closed shadow root holding a badge or a veil (their tag name is random).
  const isHost = (n) =>
    n.shadowRoots?.[0]?.shadowRootType === "closed" &&
    find(n.shadowRoots[0], (c) => /\b(badge|veil)\b/.test(attrs(c).class ?? "")).length > 0;
  return find(doc, isHost).map((host) => {
    const style = attrs(host).style ?? "";
    const px = (prop) => Number((style.match(new RegExp(`(?:^|;)\\s*${prop}:\\s*([\\d.]+)px`)) ?? [])[1]);
    const shadow = host.shadowRoots?.[0];
    const byClass = (cls) => (shadow ? find(shadow, (n) => (attrs(n).class ?? "").split(" ").includes(cls))[0] : undefined);
    const badge = byClass("badge");
    const veil = byClass("veil");
    const card = byClass("card");
    return {
      left: px("left"),
      top: px("top"),
      mode: shadow?.shadowRootType,
      state: badge ? attrs(badge)["data-state"] : null,
      text: badge ? text(badge) : null,
      veil: veil && !("hidden" in attrs(veil)) ? attrs(veil)["data-state"] : null,
      card: card ? { open: !("hidden" in attrs(card)), text: text(card) } : null,
      backendNodeId: badge?.backendNodeId,
    };
  });
}

/** The badge drawn over the image (or `sel`) in figure #id (matched by position). */
async function badgeOf(page, id, sel = "img") {
  const at = await page.evaluate(([id, sel]) => {
    const img = document.querySelector(`#${id} ${sel}`);
    if (!img) return null;
    const r = img.getBoundingClientRect();
    return { left: r.left + scrollX, top: r.top + scrollY };
  }, [id, sel]);
  if (!at) return undefined;
  return (await drawn(page)).find((b) => Math.abs(b.left - at.left) < 1 && Math.abs(b.top - at.top) < 1);
}

/** Wait until each figure's badge is drawn and settled: not "pending" (a trusted file whose screen is not compared yet). */
async function waitForBadges(page, ids, timeout = 20000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const missing = [];
    for (const id of ids) {
      const state = (await badgeOf(page, id))?.state;
      if (!state || state === "pending") missing.push(id);
    }
    if (!missing.length) return;
    if (Date.now() > deadline) assert.fail(`no badge on ${missing.join(", ")}`);
    await page.waitForTimeout(100);
  }
}

const EXPECTED = {
  trusted: ["trusted", "Jane Doe (Example News)"],
  unknown: ["unknown", "Unknown signer"],
  tampered: ["tampered", "Tampered"],
  ai: ["ai", "AI-generated"],
  unsigned: ["unsigned", "Unsigned"],
  picture: ["trusted", "Jane Doe (Example News)"],
  cross: ["unknown", "Unknown signer"],
  hostile: ["trusted", "Jane Doe (Example News)"],
  data: ["unknown", "Unknown signer"],
  added: ["trusted", "Jane Doe (Example News)"],
  lazy: ["trusted", "Jane Doe (Example News)"],
};

test("every image gets the badge its credentials call for", async () => {
  const page = await context.newPage();
  const t0 = Date.now();
  await page.goto(`${origin}/index.html`);
  const onScreen = Object.keys(EXPECTED).filter((id) => id !== "lazy");
  await waitForBadges(page, onScreen);
  console.log(`# badges on ${onScreen.length} images drawn ${Date.now() - t0} ms after navigation`);
  // The lazy image loads, and is badged, only when scrolled near.
  assert.equal(await page.evaluate(() => document.querySelector("#lazy img").complete && document.querySelector("#lazy img").naturalWidth > 0), false);
  await page.locator("#lazy img").scrollIntoViewIfNeeded();
  await waitForBadges(page, ["lazy"]);
  await page.evaluate(() => scrollTo(0, 0));
  for (const [id, [state, text]] of Object.entries(EXPECTED)) {
    const b = await badgeOf(page, id);
    assert.equal(b.state, state, `${id}: ${JSON.stringify(b)}`);
    assert.equal(b.text.slice(1), text, id); // after the mark
    assert.equal(b.mode, "closed", "badges live in closed shadow roots");
  }
  // Images under 64 px get none; the srcset/picture badge follows currentSrc (the WebP).
  const tiny = await page.evaluate(() => {
    const r = document.querySelector("#tiny img").getBoundingClientRect();
    return { left: r.left + scrollX, top: r.top + scrollY };
  });
  assert.ok(!(await drawn(page)).some((b) => Math.abs(b.left - tiny.left) < 1 && Math.abs(b.top - tiny.top) < 1));
  assert.equal(await page.evaluate(() => document.querySelector("#picture img").currentSrc.endsWith("picture.webp")), true);
  await page.screenshot({ path: path.join(artifacts, "page.png") });

  // The details card: strings from the manifest are text, never markup.
  const hostile = await badgeOf(page, "hostile");
  const cdp = await context.newCDPSession(page);
  const { model } = await cdp.send("DOM.getBoxModel", { backendNodeId: hostile.backendNodeId });
  await cdp.detach();
  const [x, y] = [model.content[0] + 5, model.content[1] + 5];
  await page.mouse.click(x, y);
  const opened = await badgeOf(page, "hostile");
  assert.equal(opened.card.open, true);
  assert.ok(opened.card.text.includes(HOSTILE_TITLE), opened.card.text);
  assert.ok(opened.card.text.includes("Example News CA"));
  assert.ok(opened.card.text.includes("c2pa.created"));
  // Who vouched: the anchor from the options page, and the chain to it.
  assert.ok(opened.card.text.includes("Vouched for by"), opened.card.text);
  assert.ok(opened.card.text.includes("Example News CA (Example News) (from trustAnchorsPem)"), opened.card.text);
  assert.ok(opened.card.text.includes("Jane Doe (Example News) → Example News CA (Example News)"), opened.card.text);
  assert.equal(await page.title(), "Hallmark test site", "no manifest markup ran");
  await page.screenshot({ path: path.join(artifacts, "details-card.png") });
  const tampered = await badgeOf(page, "tampered");
  assert.ok(tampered.card.text.includes("pixels changed"), tampered.card.text);
  // Its title and actions are shown as claims, never as facts.
  const claimsAt = tampered.card.text.indexOf("Claimed, not verified");
  assert.ok(claimsAt > 0, tampered.card.text);
  assert.ok(tampered.card.text.indexOf("c2pa.created") > claimsAt, tampered.card.text);
  assert.ok(!opened.card.text.includes("Claimed, not verified"), "a trusted file's card has no claims heading");

  // The popup: counts per state for this tab, and a thumbnail a line.
  const extensionId = new URL(worker.url()).host;
  const popup = await context.newPage();
  await popup.goto(`chrome-extension://${extensionId}/src/popup.html?tab=-1`);
  const stats = await popup.evaluate(() => chrome.runtime.sendMessage({ type: "stats" }));
  const tabId = stats.tabs.find((t) => t.images === 11)?.tabId;
  assert.ok(tabId, JSON.stringify(stats));
  assert.ok(stats.wasmMemoryBytes > 0);
  await popup.setViewportSize({ width: 360, height: 640 });
  await popup.goto(`chrome-extension://${extensionId}/src/popup.html?tab=${tabId}`);
  await popup.waitForSelector("#list li");
  const counts = Object.fromEntries(
    await popup.$$eval(".counts .count", (els) => els.map((e) => [e.dataset.state, Number(e.dataset.count)])),
  );
  assert.deepEqual(counts, { tampered: 1, ai: 1, unknown: 3, trusted: 5, unsigned: 1 });
  const thumbs = await popup.$$eval("#list img", (els) => els.filter((e) => e.src.startsWith("data:image/jpeg") && e.naturalWidth > 0).length);
  assert.equal(thumbs, 11);
  await popup.screenshot({ path: path.join(artifacts, "popup.png") });
  await popup.close();
  await page.close();
});

test("hostile text from the attack corpus is shown as inert text", async () => {
  const page = await context.newPage();
  await page.goto(`${origin}/attacks.html`);
  await waitForBadges(page, ["signer", "titled"]);
  const signer = await badgeOf(page, "signer");
  assert.equal(signer.state, "unknown", JSON.stringify(signer));
  const titled = await badgeOf(page, "titled");
  assert.equal(titled.state, "trusted", JSON.stringify(titled));
  for (const id of ["signer", "titled"]) {
    const b = await badgeOf(page, id);
    const cdp = await context.newCDPSession(page);
    const { model } = await cdp.send("DOM.getBoxModel", { backendNodeId: b.backendNodeId });
    await cdp.detach();
    await page.mouse.click(model.content[0] + 5, model.content[1] + 5);
    const opened = await badgeOf(page, id);
    assert.equal(opened.card.open, true, id);
    // The markup is there as characters, and nothing of it ran or rendered.
    assert.ok(opened.card.text.includes("<script>alert('hallmark')</script>"), `${id}: ${opened.card.text.slice(0, 300)}`);
    assert.ok(opened.card.text.includes("<img src=x onerror=alert(1)>"), id);
    // Controls and the right-to-left override are shown as escapes, never applied.
    assert.ok(opened.card.text.includes("\\u{202e}gnp.exe"), `${id}: ${opened.card.text.slice(0, 600)}`);
    assert.ok(!/[\u0000-\u001f\u202e]/.test(opened.card.text), `${id}: raw control characters in the card`);
  }
  assert.equal(await page.title(), "Attack fixtures", "no manifest markup ran");
  const injected = await page.evaluate(() => document.querySelectorAll("script, img[src=x]").length);
  assert.equal(injected, 0, "no element came from a manifest");
  await page.screenshot({ path: path.join(artifacts, "attack-fixtures.png") });
  await page.close();
});

test("a hostile page can neither hide, restyle nor reach into a badge", async () => {
  const page = await context.newPage();
  await page.goto(`${origin}/hostile.html`);
  const deadline = Date.now() + 15000;
  let b;
  while (Date.now() < deadline) {
    b = (await drawn(page))[0];
    if (b?.state) break;
    await page.waitForTimeout(100);
  }
  await page.waitForTimeout(2000); // let the page's attack run
  b = (await drawn(page)).find((d) => d.state);
  assert.equal(b?.state, "tampered", JSON.stringify(b));
  assert.equal(await page.title(), "Hostile page", "the page never saw a shadow root");
  // Drawn and visible where the image is: the badge's box is on screen.
  const cdp = await context.newCDPSession(page);
  const { model } = await cdp.send("DOM.getBoxModel", { backendNodeId: b.backendNodeId });
  await cdp.detach();
  assert.ok(model.width > 30 && model.height > 10, JSON.stringify(model));
  const visible = await page.evaluate(
    ([x, y]) => {
      const hit = document.elementFromPoint(x, y);
      return hit?.tagName;
    },
    [model.content[0] + 4, model.content[1] + 4],
  );
  assert.match(visible, /^HM-[0-9A-F]{12}$/, "our badge is what sits on top");
  await page.screenshot({ path: path.join(artifacts, "hostile-page.png") });
  await page.close();
});

test("a page that keeps removing badges is flagged in the toolbar, and not frozen", async () => {
  const page = await context.newPage();
  await page.goto(`${origin}/remover.html`);
  const extensionId = new URL(worker.url()).host;
  const probe = await context.newPage();
  await probe.goto(`chrome-extension://${extensionId}/src/popup.html?tab=-1`);
  let stats;
  for (let i = 0; i < 100; i++) {
    stats = await probe.evaluate(() => chrome.runtime.sendMessage({ type: "stats" }));
    if (stats.tabs.some((t) => t.hostile)) break;
    await page.waitForTimeout(100);
  }
  const flagged = stats.tabs.find((t) => t.hostile);
  assert.ok(flagged, JSON.stringify(stats));
  assert.equal(await worker.evaluate((tabId) => chrome.action.getBadgeText({ tabId }), flagged.tabId), "!");
  assert.equal(await page.title(), "Remover page", "the page still runs");
  await probe.goto(`chrome-extension://${extensionId}/src/popup.html?tab=${flagged.tabId}`);
  await probe.waitForSelector("#hostile:not([hidden])");
  await probe.close();
  await page.close();
});

test("the strict feed filter (the default) veils everything not trusted on screen; known-bad only veils the known-bad", async () => {
  await worker.evaluate(() => chrome.storage.local.set({ mode: "filter" }));
  const page = await context.newPage();
  await page.goto(`${origin}/index.html`);
  await waitForBadges(page, ["trusted", "unsigned", "ai", "tampered", "unknown"]);
  const veilsOf = async () => {
    const veils = {};
    for (const id of ["trusted", "unknown", "unsigned", "ai", "tampered"]) veils[id] = (await badgeOf(page, id)).veil;
    return veils;
  };
  // An unknown signer (a home-made certificate) is veiled too: it failed before.
  assert.deepEqual(await veilsOf(), { trusted: null, unknown: "unknown", unsigned: "unsigned", ai: "ai", tampered: "tampered" });
  await page.screenshot({ path: path.join(artifacts, "feed-filter-strict.png") });
  // A click on the veil shows the image.
  const box = await page.locator("#unsigned img").boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  assert.equal((await badgeOf(page, "unsigned")).veil, null);
  await page.close();

  // What can't be checked at all is veiled in strict mode: a canvas, a blob: image, a CSS background, a redirect.
  const media = await context.newPage();
  await media.goto(`${origin}/media.html`);
  await waitForBadges(media, ["trusted", "unknown", "moved", "blob"]);
  const veiled = async () => ({
    canvas: (await badgeOf(media, "canvas", "canvas"))?.veil ?? null,
    blob: (await badgeOf(media, "blob"))?.veil ?? null,
    background: (await badgeOf(media, "background", "div"))?.veil ?? null,
    trusted: (await badgeOf(media, "trusted")).veil,
    unknown: (await badgeOf(media, "unknown")).veil,
    moved: (await badgeOf(media, "moved")).veil,
  });
  for (let i = 0; i < 50 && !(await badgeOf(media, "background", "div"))?.veil; i++) await media.waitForTimeout(100);
  assert.deepEqual(await veiled(), { canvas: "error", blob: "error", background: "error", trusted: null, unknown: "unknown", moved: "error" });
  assert.equal((await badgeOf(media, "blob")).text.slice(1), "Not checked (blob: image)");
  await media.screenshot({ path: path.join(artifacts, "feed-filter-strict-media.png") });
  await media.close();

  // The second, explicit level: only the known-bad.
  await worker.evaluate(() => chrome.storage.local.set({ filter: "known-bad" }));
  const relaxed = await context.newPage();
  await relaxed.goto(`${origin}/media.html`);
  await waitForBadges(relaxed, ["trusted", "unknown", "moved", "blob"]);
  await relaxed.waitForTimeout(500);
  assert.deepEqual(
    {
      canvas: (await badgeOf(relaxed, "canvas", "canvas"))?.veil ?? null,
      background: (await badgeOf(relaxed, "background", "div"))?.veil ?? null,
      unknown: (await badgeOf(relaxed, "unknown")).veil,
      moved: (await badgeOf(relaxed, "moved")).veil,
    },
    { canvas: null, background: null, unknown: null, moved: null },
  );
  await relaxed.close();
  const page2 = await context.newPage();
  await page2.goto(`${origin}/index.html`);
  await waitForBadges(page2, ["unsigned", "tampered", "unknown"]);
  assert.deepEqual(
    [(await badgeOf(page2, "unsigned")).veil, (await badgeOf(page2, "tampered")).veil, (await badgeOf(page2, "unknown")).veil],
    ["unsigned", "tampered", null],
  );
  await page2.close();
  await worker.evaluate(() => chrome.storage.local.set({ mode: "all", filter: "strict" }));
});

test("video and audio get badges and cards: a trusted video is never green, a streamed one is veiled in strict mode", async () => {
  const ids = { signed: "video", tampered: "video", audio: "audio", streamed: "video" };
  const badges = async (page) => {
    const out = {};
    for (const [id, sel] of Object.entries(ids)) out[id] = await badgeOf(page, id, sel);
    return out;
  };
  const settled = async (page) => {
    for (let i = 0; i < 200; i++) {
      const got = await badges(page);
      if (Object.values(got).every((b) => b?.state || b?.veil)) return got;
      await page.waitForTimeout(100);
    }
    assert.fail(`not every media element was badged: ${JSON.stringify(await badges(page))}`);
  };
  const page = await context.newPage();
  await page.goto(`${origin}/video.html`);
  const got = await settled(page);
  assert.deepEqual(
    Object.fromEntries(Object.entries(got).map(([id, b]) => [id, [b.state, b.text.slice(1)]])),
    {
      signed: ["pending", "Trusted file, not compared"],
      tampered: ["tampered", "Tampered"],
      audio: ["unsigned", "Unsigned"],
      streamed: ["error", "Not checked (streamed video)"],
    },
  );
  // The card: who signed it, and why the badge is not green.
  const cdp = await context.newCDPSession(page);
  const { model } = await cdp.send("DOM.getBoxModel", { backendNodeId: got.signed.backendNodeId });
  await cdp.detach();
  await page.mouse.click(model.content[0] + 5, model.content[1] + 5);
  const card = (await badgeOf(page, "signed", "video")).card;
  assert.equal(card.open, true);
  assert.ok(card.text.includes("Jane Doe (Example News)"), card.text);
  assert.ok(card.text.includes("what the page plays can't be compared with it (Hallmark compares no video/mp4 with the screen)"), card.text);
  const tamperedCard = (await badgeOf(page, "tampered", "video")).card;
  assert.ok(tamperedCard.text.includes("bmffHash"), "the tampered card names the failed hash");
  // The WASM verifier decodes no frames: the CLI names the seconds that changed.
  assert.ok(tamperedCard.text.includes("changed seconds: check with the CLI (hallmark verify)"), tamperedCard.text);
  await page.screenshot({ path: path.join(artifacts, "video.png") });
  await page.close();

  // Strict filtering veils every video: none is trusted on screen.
  await worker.evaluate(() => chrome.storage.local.set({ mode: "filter" }));
  const strict = await context.newPage();
  await strict.goto(`${origin}/video.html`);
  const veiled = await settled(strict);
  assert.deepEqual(
    Object.fromEntries(Object.entries(veiled).map(([id, b]) => [id, b.veil])),
    { signed: "pending", tampered: "tampered", audio: "unsigned", streamed: "error" },
  );
  await strict.screenshot({ path: path.join(artifacts, "video-strict.png") });
  await strict.close();
  await worker.evaluate(() => chrome.storage.local.set({ mode: "all", filter: "strict" }));
});

test("an image whose PDQ hash is in a hash bank gets the bank's label", async () => {
  const [h] = JSON.parse(
    `[${execFileSync(hallmark, ["hash", "--json", path.join(root, "fixtures/images/sample.jpg")], { encoding: "utf8" }).trim()}]`,
  );
  const tsv = `# a fact-checker's bank\n${h.pdq}\tknown-fake\tcirculated with a false caption\n`;
  await worker.evaluate((tsv) => chrome.storage.local.set({ banks: [{ name: "bank.tsv", tsv, entries: 1 }] }), tsv);
  const page = await context.newPage();
  await page.goto(`${origin}/index.html`);
  await waitForBadges(page, ["unsigned", "trusted"]);
  const b = await badgeOf(page, "unsigned");
  assert.equal(b.state, "matched", JSON.stringify(b));
  assert.equal(b.text.slice(1), "known-fake");
  assert.equal((await badgeOf(page, "trusted")).state, "trusted", "a trusted file keeps its badge");
  await worker.evaluate(() => chrome.storage.local.set({ banks: [] }));
  await page.close();
});

test("a hash bank imported through the options page's file input labels matching images", async () => {
  const [h] = JSON.parse(
    `[${execFileSync(hallmark, ["hash", "--json", path.join(root, "fixtures/images/sample.jpg")], { encoding: "utf8" }).trim()}]`,
  );
  const file = path.join(artifacts, "imported-bank.tsv");
  fs.writeFileSync(file, `# a fact-checker's bank\n${h.pdq}\tknown-fake\tcirculated with a false caption\nnot a hash\tx\n`);
  const extensionId = new URL(worker.url()).host;
  const options = await context.newPage();
  await options.goto(`chrome-extension://${extensionId}/src/options.html`);
  await options.waitForFunction(() => document.querySelector("input[name=mode]:checked"));
  await options.setInputFiles("#bank-file", file);
  await options.waitForFunction(() => document.querySelector("#bank-status").textContent.startsWith("Added"));
  assert.equal(await options.textContent("#bank-status"), "Added 1 hashes, 1 bad lines skipped");
  const { banks } = await worker.evaluate(() => chrome.storage.local.get("banks"));
  assert.deepEqual(banks.map((b) => [b.name, b.entries]), [["imported-bank.tsv", 1]]);
  const page = await context.newPage();
  await page.goto(`${origin}/index.html`);
  await waitForBadges(page, ["unsigned", "trusted"]);
  assert.equal((await badgeOf(page, "unsigned")).state, "matched");
  await worker.evaluate(() => chrome.storage.local.set({ banks: [] }));
  await page.close();
  await options.close();
});

test("the options page saves a trust bundle, refuses a broken one, and the badges follow", async () => {
  const extensionId = new URL(worker.url()).host;
  const options = await context.newPage();
  await options.goto(`chrome-extension://${extensionId}/src/options.html`);
  await options.waitForFunction(() => document.querySelector("input[name=mode]:checked"));
  // A broken bundle is refused and nothing changes.
  await options.fill("#trust", "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n");
  await options.click("#save-trust");
  await options.waitForFunction(() => document.querySelector("#trust-status").textContent.startsWith("Not saved"));
  assert.equal(await options.getAttribute("#trust-status", "class"), "error");
  // The stranger's root and the newsroom's, pasted as one bundle (as the C2PA trust list comes).
  const bundle = ["fixtures/keys/newsroom/root.pem", "fixtures/keys/stranger/root.pem"]
    .map((p) => fs.readFileSync(path.join(root, p), "utf8"))
    .join("\n");
  await options.fill("#trust", bundle);
  await options.click("#save-trust");
  await options.waitForFunction(() => document.querySelector("#trust-status").textContent === "Saved: 2 certificates");
  await options.screenshot({ path: path.join(artifacts, "options.png") });
  const page = await context.newPage();
  await page.goto(`${origin}/index.html`);
  await waitForBadges(page, ["unknown", "trusted"]);
  assert.equal((await badgeOf(page, "unknown")).state, "trusted", "the stranger is trusted now");
  // Back to the newsroom root alone for the other tests.
  await options.fill("#trust", fs.readFileSync(path.join(root, "fixtures/keys/newsroom/root.pem"), "utf8"));
  await options.click("#save-trust");
  await options.waitForFunction(() => document.querySelector("#trust-status").textContent === "Saved: 1 certificate");
  await options.close();
  await page.close();
});

test("no request leaves but for the pages and their own images", () => {
  const allowed = new Set([
    "/index.html", "/hostile.html", "/remover.html", "/attacks.html", "/media.html", "/redirect/trusted.jpg", "/favicon.ico",
    "/hostile-signer.jpg", "/hostile-title.jpg", "/recovered.html", "/stripped.jpg", "/fake.jpg",
    "/trusted.jpg", "/unknown.jpg", "/tampered.jpg", "/ai.jpg", "/unsigned.jpg", "/picture.webp",
    "/cross.jpg", "/hostile.jpg", "/tiny.jpg", "/lazy.jpg", "/added.png",
    "/video.html", "/signed.mp4", "/tampered.mp4", "/tone.m4a",
  ]);
  const stray = requests.filter((r) => !allowed.has(r.path));
  assert.deepEqual(stray, [], "requests beyond the pages' own resources");
  assert.ok(requests.some((r) => r.path === "/cross.jpg" && r.port !== requests[0].port), "the cross-origin image came from the second server");
  // The fallback of <picture> was never fetched: Chromium chose the WebP, and so did the extension.
  assert.ok(!requests.some((r) => r.path === "/fallback.jpg"));
});

test("the extension's fetch sends no cookies and follows no redirect to another host", async () => {
  const page = await context.newPage();
  await page.goto(`${origin}/leaky.html`);
  await waitForBadges(page, ["moved", "fresh"]);
  const moved = await badgeOf(page, "moved");
  assert.equal(moved.state, "error", JSON.stringify(moved));
  assert.match(moved.card.text, /not checked \(redirected\)/, JSON.stringify(moved));
  assert.equal((await badgeOf(page, "fresh")).state, "trusted");
  // The extension's requests are fetch()es (Sec-Fetch-Dest: empty); the page's are images.
  const fromExtension = (r) => r.headers["sec-fetch-dest"] === "empty";
  assert.deepEqual(
    requests.filter((r) => r.host === "127.0.0.2" && fromExtension(r)).map((r) => r.path),
    [],
    "the redirect's target got a request from the extension",
  );
  const fresh = requests.filter((r) => r.path === "/fresh/trusted.jpg");
  assert.ok(fresh.some(fromExtension), "the extension fetched the uncacheable image itself");
  assert.ok(
    fresh.some((r) => !fromExtension(r) && r.headers.cookie?.includes("hallmark_test=secret")),
    "the page's own request carries its cookie (so the check below can fail)",
  );
  for (const r of fresh.filter(fromExtension)) assert.equal(r.headers.cookie, undefined, "cookies sent by the extension");
  await page.screenshot({ path: path.join(artifacts, "leaky-page.png") });
  await page.close();
});

test("a page that never stops scrolling still gets no green badge over a fake", async () => {
  // Before: every comparison that saw the page move was thrown away, and each
  // scroll put the next one off, so a page scrolling a pixel every 40 ms kept
  // a trusted badge green over a fake until the image had scrolled away.
  const page = await context.newPage();
  await page.goto(`${origin}/screen.html`);
  await waitForBadges(page, ["honest"], 30000);
  assert.equal((await badgeOf(page, "honest")).state, "trusted");
  await page.evaluate(() => {
    const tall = document.createElement("div");
    tall.style.height = "4000px";
    document.body.append(tall);
    const fake = document.createElement("div");
    fake.style.cssText = "position:absolute;left:16px;top:16px;width:320px;height:240px;background:url(fake.jpg) 0 0/320px 240px;pointer-events:none";
    document.body.append(fake);
    setInterval(() => scrollBy(0, 1), 40);
  });
  // Within 5 s (125 px scrolled: most of the image still on screen).
  const t0 = Date.now();
  let state;
  while (Date.now() - t0 < 5000) {
    state = (await badgeOf(page, "honest"))?.state;
    if (state === "mismatch") break;
    await page.waitForTimeout(100);
  }
  assert.equal(state, "mismatch");
  console.log(`# a fake under a page scrolling without end: mismatch after ${Date.now() - t0} ms`);
  await page.close();
});

test("a trusted badge is green only where the screen shows the verified pixels", async () => {
  const page = await context.newPage();
  await page.goto(`${origin}/screen.html`);
  const ids = ["honest", "opacity", "overlay", "content", "twofaced", "cover"];
  await waitForBadges(page, ids, 30000);
  const states = {};
  for (const id of ids) states[id] = (await badgeOf(page, id)).state;
  await page.screenshot({ path: path.join(artifacts, "screen-tricks.png") });
  {
    const extensionId = new URL(worker.url()).host;
    const probe = await context.newPage();
    await probe.goto(`chrome-extension://${extensionId}/src/popup.html?tab=-1`);
    const { screenTimings } = await probe.evaluate(() => chrome.runtime.sendMessage({ type: "stats" }));
    await probe.close();
    await page.bringToFront();
    const n = screenTimings.reduce((a, t) => a + t.compared, 0);
    const mean = (k) => (screenTimings.reduce((a, t) => a + t[k], 0) / screenTimings.length).toFixed(1);
    const compare = screenTimings.reduce((a, t) => a + t.compareMs, 0) / Math.max(1, n);
    console.log(
      `# screen comparisons: ${screenTimings.length} screenshots of 1400x900: captureVisibleTab ${mean("shotMs")} ms, PNG decode ${mean("decodeMs")} ms, ` +
        `queued ${mean("waitMs")} ms; ${n} crops, ${compare.toFixed(1)} ms each (crop, PDQ and colour cells in WASM)`,
    );
  }
  // Before: every one of these was a green "trusted" badge over the page's fake.
  assert.deepEqual(states, {
    honest: "trusted",
    opacity: "mismatch", // a fake under an opacity-0 trusted image
    overlay: "mismatch", // a pointer-events: none overlay (elementsFromPoint skips it)
    content: "mismatch", // CSS content: url() on the <img>
    twofaced: "mismatch", // the server gave the extension's fetch the genuine file, the page a fake
    cover: "trusted", // object-fit: cover in a rounded, clipping box: still the verified pixels
  });
  const overlay = await badgeOf(page, "overlay");
  assert.equal(overlay.text.slice(1), "Not what you see");
  assert.match(overlay.card.text, /signed by Jane Doe \(Example News\) and trusted, but what the page shows here is not it/, overlay.card.text);
  assert.match((await badgeOf(page, "opacity")).card.text, /transparent/);
  assert.match((await badgeOf(page, "content")).card.text, /CSS content/);
  // The card shows the verified file's thumbnail, drawn by the extension.
  assert.match((await badgeOf(page, "twofaced")).card.text, /The verified file/);
  // A change no DOM observer sees (a CSSOM rule, 2 s after load) is caught by the next comparison.
  let late;
  for (let i = 0; i < 100; i++) {
    late = await badgeOf(page, "late");
    if (late?.state === "mismatch") break;
    await page.waitForTimeout(100);
  }
  assert.equal(late?.state, "mismatch", JSON.stringify(late));
  await page.screenshot({ path: path.join(artifacts, "screen-tricks-late.png") });
  // A page that swaps in a fake while its tab is in the background is caught as soon as it is shown again.
  const other = await context.newPage();
  await other.goto(`${origin}/attacks.html`);
  await page.evaluate(() => {
    const fake = document.createElement("div");
    fake.style.cssText = "position:absolute;left:16px;top:16px;width:320px;height:240px;background:url(fake.jpg) 0 0/320px 240px;pointer-events:none";
    document.body.append(fake);
  });
  await other.waitForTimeout(500);
  await page.bringToFront();
  let swapped;
  for (let i = 0; i < 100; i++) {
    swapped = await badgeOf(page, "honest");
    if (swapped?.state === "mismatch") break;
    await page.waitForTimeout(100);
  }
  assert.equal(swapped?.state, "mismatch", JSON.stringify(swapped));
  await other.close();
  await page.close();
});

test("with a registry service turned on, a stripped copy of a registered image is shown as recovered", async () => {
  // A registry holding the newsroom's signed image, served by `hallmark serve`
  // with bodies capped at 1,000 bytes: an image sent whole (byContent) would
  // be refused, so a recovery here proves only hashes were sent.
  const db = path.join(tmp, "registry.db");
  execFileSync(hallmark, ["registry", "add", path.join(root, "fixtures/signed/newsroom.jpg"), "--db", db,
    "--trust", path.join(root, "fixtures/keys/newsroom/root.pem")], { env: { ...process.env, HALLMARK_CONFIG_DIR: "/nonexistent" } });
  const server = spawn(hallmark, ["serve", "--db", db, "--listen", "127.0.0.1:0", "--max-body", "1000",
    "--trust", path.join(root, "fixtures/keys/newsroom/root.pem")], { env: { ...process.env, HALLMARK_CONFIG_DIR: "/nonexistent" } });
  try {
    const line = await new Promise((resolve, reject) => {
      let text = "";
      server.stderr.on("data", (d) => {
        text += d;
        if (text.includes("\n")) resolve(text);
      });
      server.on("exit", () => reject(new Error(`hallmark serve exited: ${text}`)));
    });
    const url = `${line.match(/http:\/\/[^/\s]+/)[0]}/v1`;

    // Off by default: the stripped copy is unsigned.
    const page = await context.newPage();
    await page.goto(`${origin}/recovered.html`);
    await waitForBadges(page, ["stripped", "fake"]);
    assert.equal((await badgeOf(page, "stripped")).state, "unsigned");
    await page.close();

    // Turned on through the options page, which says what is sent.
    const extensionId = new URL(worker.url()).host;
    const options = await context.newPage();
    await options.goto(`chrome-extension://${extensionId}/src/options.html`);
    await options.waitForFunction(() => document.querySelector("input[name=mode]:checked"));
    assert.match(await options.textContent("body"), /two 32-byte hashes of its pixels \(its pixel digest and PDQ hash\), never the image/);
    await options.check("#registry-on");
    await options.fill("#registry-url", "ftp://example.org/v1");
    await options.click("#save-registry");
    await options.waitForFunction(() => document.querySelector("#registry-status").textContent.startsWith("Not saved"));
    await options.fill("#registry-url", `${url}/`);
    await options.click("#save-registry");
    await options.waitForFunction(() => document.querySelector("#registry-status").textContent.startsWith("Saved"));
    assert.equal(await options.textContent("#registry-status"), `Saved: asking ${url}`);
    await options.screenshot({ path: path.join(artifacts, "options-registry.png") });
    await options.close();

    const on = await context.newPage();
    await on.goto(`${origin}/recovered.html`);
    await waitForBadges(on, ["stripped", "fake"]);
    const b = await badgeOf(on, "stripped");
    assert.equal(b.state, "recovered", JSON.stringify(b));
    assert.equal(b.text.slice(1), "Recovered: Jane Doe (Example News)");
    assert.match(b.card.text, /Registered signerJane Doe \(Example News\)/);
    assert.match(b.card.text, /MatchSame pixels \(trusted now\)/);
    // An unrelated picture stays unsigned.
    assert.equal((await badgeOf(on, "fake")).state, "unsigned");
    await on.screenshot({ path: path.join(artifacts, "recovered.png") });
    await on.close();
  } finally {
    server.kill();
    await worker.evaluate(() => chrome.storage.local.set({ registryOn: false, registryUrl: "" }));
  }
});
