// The extension's service worker: fetches the bytes of images that our
// content script reports (only those, only http(s) and data: URLs, capped in
// size), and has the WASM module verify them and say how to show them. For a
// trusted file it then compares the screen with the verified pixels before
// the badge may turn green. Results are cached by URL and by the BLAKE3 of
// the bytes. Nothing leaves the machine: no request but for the page's own
// images, no telemetry; except that with a registry service turned on (off
// by default, on the options page) the pixel digest and PDQ hash of each
// unsigned image are sent to it, and the manifest stores it names fetched
// and verified here.
//
// Every decision (badge, card, what a mode veils, the cheap screen pass, the
// screenshot comparison, the limits) is the WASM module's; this file moves
// bytes and messages.
import {
  initSync,
  present,
  presentRecovered,
  hash,
  notChecked,
  uncheckable,
  placement,
  screenPrecheck,
  screenBadge,
  extensionLimits,
  thumbnail,
  ScreenReference,
} from "../wasm/hallmark_wasm.js";

const DEFAULT_SETTINGS = {
  trustPem: "",
  mode: "all",
  filter: "strict",
  showUnsigned: true,
  banks: [],
  registryOn: false,
  registryUrl: "",
};

let wasmReady = null;
let wasmExports = null;
let LIMITS = null;
function ready() {
  wasmReady ??= (async () => {
    const response = await fetch(chrome.runtime.getURL("wasm/hallmark_wasm_bg.wasm"));
    wasmExports = initSync({ module: await response.arrayBuffer() });
    LIMITS = extensionLimits();
  })();
  return wasmReady;
}

async function settings() {
  const stored = await chrome.storage.local.get(Object.keys(DEFAULT_SETTINGS));
  return { ...DEFAULT_SETTINGS, ...stored };
}

const viewOf = (s) => ({ mode: s.mode, filter: s.filter, showUnsigned: s.showUnsigned });

const byUrl = new Map();
const byDigest = new Map();
/** digest -> ScreenReference (WASM memory: freed when dropped). */
const references = new Map();
/** tabId -> Map(url -> {url, badge, thumb}) for the popup. */
const tabs = new Map();
/** The last screen comparisons' costs, for the stats message (benchmarks, the README's figures). */
const screenTimings = [];
/** Tabs whose page keeps removing our badges. */
const hostileTabs = new Set();

function remember(map, key, value, max = LIMITS.maxCached, drop = () => {}) {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) {
    const oldest = map.keys().next().value;
    drop(map.get(oldest));
    map.delete(oldest);
  }
}

chrome.storage.onChanged.addListener(() => {
  // New trust anchors or banks: every earlier answer may be wrong now.
  byUrl.clear();
  byDigest.clear();
});
chrome.tabs.onRemoved.addListener((tabId) => {
  tabs.delete(tabId);
  unconfirmed.delete(tabId);
  hostileTabs.delete(tabId);
});

class CheckError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** The bytes behind a URL the page shows, under the size limit. */
async function fetchBytes(url) {
  const parsed = new URL(url);
  if (parsed.protocol === "data:") {
    const comma = url.indexOf(",");
    const meta = url.slice(5, comma);
    const body = url.slice(comma + 1);
    if (body.length > LIMITS.maxBytes * 1.4) throw new CheckError("fetch.too_large", "data: URL over the size limit");
    if (meta.endsWith(";base64")) {
      const bin = atob(body);
      return Uint8Array.from(bin, (c) => c.charCodeAt(0));
    }
    return new TextEncoder().encode(decodeURIComponent(body));
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new CheckError("fetch.scheme", `${parsed.protocol} URLs are not fetched`);
  }
  // The page has just loaded this image: the HTTP cache usually answers.
  // No cookies or other credentials go with it, and no redirect is followed:
  // its target can't be seen without sending the request, so none is sent.
  const response = await fetch(url, { credentials: "omit", cache: "force-cache", redirect: "manual" });
  if (response.type === "opaqueredirect" || (response.status >= 300 && response.status < 400)) {
    throw new CheckError("fetch.redirected", "not checked (redirected): the extension never follows a redirect");
  }
  if (!response.ok) throw new CheckError("fetch.status", `HTTP ${response.status}`);
  const declared = Number(response.headers.get("content-length") || 0);
  if (declared > LIMITS.maxBytes) throw new CheckError("fetch.too_large", `${declared} bytes, over the ${LIMITS.maxBytes} limit`);
  return limitedBody(response, LIMITS.maxBytes, () =>
    new CheckError("fetch.too_large", `over the ${LIMITS.maxBytes}-byte limit`));
}

function base64(bytes) {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

function hexBytes(hex) {
  return Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
}

/** A response's body, read as it comes and refused past `limit` bytes (`tooLarge()` thrown). */
async function limitedBody(response, limit, tooLarge = () => new Error(`over ${limit} bytes`)) {
  const reader = response.body.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * Ask the registry service about an unsigned image by its hashes only (the
 * pixel digest, then the PDQ hash), and fetch the stores it names:
 * {ids, stores}. Deciding what they prove is the WASM module's.
 */
async function registryStores(base, bytes) {
  let h;
  try {
    h = hash(bytes);
  } catch {
    return { ids: [], stores: [] };
  }
  const ask = async (alg, hex) => {
    const response = await fetch(`${base}/matches/byBinding`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ alg, value: base64(hexBytes(hex)) }),
      credentials: "omit",
      redirect: "manual",
      signal: AbortSignal.timeout(LIMITS.registryTimeoutMs),
    });
    if (!response.ok) return [];
    const answer = JSON.parse(new TextDecoder().decode(await limitedBody(response, 1 << 20)));
    return (answer.matches ?? []).map((m) => m.manifestId).filter((id) => typeof id === "string");
  };
  let ids = await ask("org.hallmark.pixel-digest", h.pixel_digest);
  if (!ids.length && h.quality >= LIMITS.minMatchQuality) ids = await ask("org.hallmark.pdq", h.pdq);
  const found = { ids: [], stores: [] };
  for (const id of ids.slice(0, LIMITS.registryCandidates)) {
    const response = await fetch(`${base}/manifests/${encodeURIComponent(id)}`, {
      credentials: "omit",
      redirect: "manual",
      signal: AbortSignal.timeout(LIMITS.registryTimeoutMs),
    });
    if (!response.ok) continue;
    found.ids.push(id);
    found.stores.push(await limitedBody(response, LIMITS.maxStoreBytes));
  }
  return found;
}

function thumb(bytes) {
  try {
    const jpeg = thumbnail(bytes, LIMITS.thumbnailSide);
    let bin = "";
    for (let i = 0; i < jpeg.length; i += 0x8000) bin += String.fromCharCode(...jpeg.subarray(i, i + 0x8000));
    return `data:image/jpeg;base64,${btoa(bin)}`;
  } catch {
    return null;
  }
}

/** The presented result for a URL: {badge, card, bank, screen, digest, thumb}. */
async function check(url) {
  const cached = byUrl.get(url);
  if (cached) return cached;
  await ready();
  const config = await settings();
  let result;
  try {
    const bytes = await fetchBytes(url);
    const options = config.trustPem.trim() ? { trustAnchorsPem: config.trustPem } : undefined;
    const banks = config.banks.map((b) => b.tsv);
    let presented = present(bytes, options, banks);
    if (presented.report.verdict === "unsigned" && config.registryOn && config.registryUrl) {
      // A registry that can't be reached leaves the image unsigned.
      const found = await registryStores(config.registryUrl, bytes).catch(() => ({ ids: [], stores: [] }));
      if (found.ids.length) presented = presentRecovered(bytes, options, banks, found.ids, found.stores);
    }
    result = byDigest.get(presented.digest);
    if (!result) {
      delete presented.report;
      result = { ...presented, thumb: thumb(bytes) };
      remember(byDigest, result.digest, result);
    }
    // Also for a result found by digest: its reference may have been dropped
    // from the smaller cache since (else it would stay "Checking" for ever).
    if (result.screen && !result.unseeable && !references.has(result.digest)) {
      try {
        remember(references, result.digest, new ScreenReference(bytes), LIMITS.maxReferences, (r) => r.free());
      } catch (e) {
        // Verified but not decodable: it can never be confirmed on screen.
        result.unseeable = `${e.code ?? "decode"}: ${e.message ?? e}`;
      }
    }
  } catch (e) {
    // Hallmark's own codes are strings; a DOMException's `code` is a number.
    const code = typeof e?.code === "string" ? e.code : "fetch.failed";
    result = { ...notChecked(code, e?.message ?? String(e)), thumb: null, digest: null };
  }
  remember(byUrl, url, result);
  return result;
}

/** What a content script draws: the result's badge (pending until the screen agrees) and its placement. */
function answer(result, view, outcome) {
  const badge = result.screen
    ? screenBadge(result.badge, outcome ?? { kind: "pending", reason: "the screen is not compared yet" })
    : result.badge;
  return { badge, card: result.card, thumb: result.thumb, screen: result.screen, ...placement(badge.state, view, true) };
}

// Screen answers sent to a tab and not yet drawn there, by tab then URL: the
// content script may set one aside (the page moved, or went to the
// background, while it was measured) and ask again. The popup counts only
// what the page shows, so an answer is noted when the page says it drew it.
const unconfirmed = new Map();

function note(tabId, url, badge, thumbUrl) {
  if (!tabs.has(tabId)) tabs.set(tabId, new Map());
  tabs.get(tabId).set(url, { url, badge, thumb: thumbUrl });
}

// captureVisibleTab is allowed about twice a second: one at a time, spaced.
let captureChain = Promise.resolve();
let lastCapture = 0;
function capture(windowId) {
  const run = captureChain.then(async () => {
    const wait = lastCapture + LIMITS.captureIntervalMs - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const t0 = performance.now();
    try {
      const shot = await chrome.tabs.captureVisibleTab(windowId, { format: "png" });
      return { shot, ms: performance.now() - t0 };
    } finally {
      lastCapture = Date.now();
    }
  });
  captureChain = run.catch(() => {});
  return run;
}

/** Crop a box (device pixels) out of a screenshot, at most cropSide a side: RGBA bytes. */
function crop(bitmap, box) {
  const scale = Math.min(1, LIMITS.cropSide / Math.max(box.width, box.height));
  const w = Math.max(1, Math.round(box.width * scale));
  const h = Math.max(1, Math.round(box.height * scale));
  const canvas = new OffscreenCanvas(w, h);
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(bitmap, box.x, box.y, box.width, box.height, 0, 0, w, h);
  const data = ctx.getImageData(0, 0, w, h).data;
  return { rgba: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: w, height: h };
}

/**
 * Compare the screen with the verified pixels for each item
 * ({url, facts, view, source, masks}) of one tab: the cheap pass first,
 * then one screenshot for all that need it. Answers one draw per item.
 */
async function screenCheck(tab, message) {
  await ready();
  const view = viewOf(await settings());
  const outcomes = [];
  const needShot = [];
  const items = Array.isArray(message.items) ? message.items.slice(0, 64) : [];
  for (const [i, item] of items.entries()) {
    const result = byUrl.get(item.url);
    if (!result?.screen) {
      outcomes[i] = null;
      continue;
    }
    if (result.unseeable) {
      outcomes[i] = { kind: "differs", reason: `the verified file can't be decoded to compare (${result.unseeable})` };
      continue;
    }
    const pre = screenPrecheck(item.facts ?? {});
    if (pre) outcomes[i] = pre;
    else needShot.push(i);
  }
  // waitMs: queued behind the capture quota; shotMs: captureVisibleTab itself; decodeMs: the PNG.
  const timing = { waitMs: 0, shotMs: 0, decodeMs: 0, compareMs: 0, compared: 0 };
  if (needShot.length) {
    const current = await chrome.tabs.get(tab.id).catch(() => null);
    if (!current?.active) {
      // Not on screen: nothing to compare, and nothing changes (a first answer stays "pending").
      for (const i of needShot) outcomes[i] = null;
    } else {
      let bitmap = null;
      const t0 = performance.now();
      try {
        const { shot, ms } = await capture(tab.windowId);
        timing.shotMs = ms;
        // Another tab may have come to the front meanwhile: then the shot shows it, not this page.
        const after = await chrome.tabs.get(tab.id).catch(() => null);
        if (!after?.active) throw new Error("the tab went to the background");
        const t = performance.now();
        bitmap = await createImageBitmap(await (await fetch(shot)).blob());
        timing.decodeMs = performance.now() - t;
      } catch {
        // No screenshot (quota, or the tab went to the background): answers stay as they are.
        for (const i of needShot) outcomes[i] = null;
      }
      timing.waitMs = Math.max(0, performance.now() - t0 - timing.shotMs - timing.decodeMs);
      if (bitmap) {
        const scale = bitmap.width / Math.max(1, Number(message.viewport?.width) || bitmap.width);
        const t1 = performance.now();
        for (const i of needShot) {
          const { url, view: box, source, masks } = items[i];
          const reference = references.get(byUrl.get(url).digest);
          if (!reference) {
            outcomes[i] = { kind: "pending", reason: "the verified pixels were dropped from memory; checking again" };
            byUrl.delete(url);
            continue;
          }
          const device = {
            x: Math.max(0, Math.floor(box.x * scale)),
            y: Math.max(0, Math.floor(box.y * scale)),
            width: Math.min(bitmap.width, Math.ceil((box.x + box.width) * scale)) - Math.max(0, Math.floor(box.x * scale)),
            height: Math.min(bitmap.height, Math.ceil((box.y + box.height) * scale)) - Math.max(0, Math.floor(box.y * scale)),
          };
          if (!(device.width > 0 && device.height > 0)) {
            outcomes[i] = { kind: "pending", reason: "too little of it is on screen" };
            continue;
          }
          const part = crop(bitmap, device);
          const comparison = reference.compare(part.rgba, part.width, part.height, source, masks ?? []);
          outcomes[i] = comparison.outcome;
          timing.compared++;
        }
        timing.compareMs = performance.now() - t1;
        bitmap.close();
      }
    }
  }
  if (timing.compared) screenTimings.push(timing);
  if (screenTimings.length > 100) screenTimings.shift();
  return {
    timing,
    answers: items.map((item, i) => {
      if (!outcomes[i]) return null;
      const result = byUrl.get(item.url);
      if (!result) return null;
      const drawn = answer(result, view, outcomes[i]);
      if (!unconfirmed.has(tab.id)) unconfirmed.set(tab.id, new Map());
      const waiting = unconfirmed.get(tab.id);
      waiting.delete(item.url);
      waiting.set(item.url, { badge: drawn.badge, thumb: result.thumb });
      // Bounded: the oldest unconfirmed answers go first.
      while (waiting.size > 256) waiting.delete(waiting.keys().next().value);
      return drawn;
    }),
  };
}

chrome.runtime.onMessage.addListener((message, sender, reply) => {
  // Our own pages (popup, options) may ask for results; only content scripts in web pages send "check".
  const ownPage = typeof sender.url === "string" && sender.url.startsWith(chrome.runtime.getURL(""));
  if (message?.type === "check" && sender.tab && !ownPage && typeof message.url === "string") {
    // Only our content script sends "check", from a tab, for an image it found on that page.
    const tabId = sender.tab.id;
    check(message.url).then(async (result) => {
      const drawn = answer(result, viewOf(await settings()));
      note(tabId, message.url, drawn.badge, result.thumb);
      reply(drawn);
    });
    return true; // replies asynchronously
  }
  if (message?.type === "screen" && sender.tab && !ownPage) {
    screenCheck(sender.tab, message).then(reply, (e) => reply({ error: String(e) }));
    return true;
  }
  if (message?.type === "drawn" && sender.tab && !ownPage && typeof message.url === "string") {
    // The page drew the screen answer it was sent for this URL: count it. It
    // can only confirm what this worker answered, never name a state.
    const waiting = unconfirmed.get(sender.tab.id);
    const sent = waiting?.get(message.url);
    if (sent) {
      waiting.delete(message.url);
      note(sender.tab.id, message.url, sent.badge, sent.thumb);
    }
    return false;
  }
  if (message?.type === "uncheckable" && sender.tab && !ownPage && typeof message.kind === "string") {
    // Canvases, videos, CSS backgrounds, blob: images: nothing to fetch, never checked.
    (async () => {
      await ready();
      const view = viewOf(await settings());
      try {
        const result = uncheckable(message.kind);
        reply({ badge: result.badge, card: result.card, thumb: null, screen: false, ...placement(result.badge.state, view, message.image === true) });
      } catch {
        reply(null);
      }
    })();
    return true;
  }
  if (message?.type === "view" && sender.tab && !ownPage) {
    // What a content script needs to know before it finds anything: whether
    // non-image media get veils, and the limits it measures with.
    (async () => {
      await ready();
      const view = viewOf(await settings());
      reply({ veilElements: placement("error", view, false).veil, minSide: LIMITS.minSide, recheckMs: LIMITS.recheckMs });
    })();
    return true;
  }
  if (message?.type === "tab-results" && ownPage) {
    reply({ results: [...(tabs.get(message.tabId)?.values() ?? [])], hostile: hostileTabs.has(message.tabId) });
    return false;
  }
  if (message?.type === "stats" && ownPage) {
    // For the options page and benchmarks: what the checker holds in memory.
    reply({
      wasmMemoryBytes: wasmExports?.memory.buffer.byteLength ?? 0,
      cachedUrls: byUrl.size,
      cachedDigests: byDigest.size,
      references: references.size,
      screenTimings,
      tabs: [...tabs].map(([tabId, results]) => ({ tabId, images: results.size, hostile: hostileTabs.has(tabId) })),
    });
    return false;
  }
  if (message?.type === "hostile-page" && sender.tab && !ownPage) {
    // The page keeps removing our badges: say so where it can't reach.
    hostileTabs.add(sender.tab.id);
    chrome.action.setBadgeBackgroundColor({ tabId: sender.tab.id, color: "#b42318" });
    chrome.action.setBadgeText({ tabId: sender.tab.id, text: "!" });
    chrome.action.setTitle({ tabId: sender.tab.id, title: "Hallmark: this page keeps removing image badges" });
    return false;
  }
  if (message?.type === "page-reset" && sender.tab && !ownPage) {
    hostileTabs.delete(sender.tab.id);
    tabs.delete(sender.tab.id); // a new page loaded in this tab
    unconfirmed.delete(sender.tab.id);
    chrome.action.setBadgeText({ tabId: sender.tab.id, text: "" });
    return false;
  }
  return false;
});

// A tab coming to the front: its content script compares its images again.
chrome.tabs.onActivated.addListener(({ tabId }) => {
  chrome.tabs.sendMessage(tabId, { type: "recheck" }).catch(() => {});
});
