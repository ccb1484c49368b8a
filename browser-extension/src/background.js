// The extension's service worker: fetches the bytes of images that our
// content script reports (only those, only http(s) and data: URLs, capped in
// size), runs the WASM verifier and perceptual hash on them, and answers with
// a badge and the details to show. Results are cached by URL and by the
// BLAKE3 of the bytes. Nothing leaves the machine: no request but for the
// page's own images, no telemetry.
import { initSync, verify, hash, matchBank, blake3Hex, thumbnail } from "../wasm/hallmark_wasm.js";
import { badgeFor, signerName, shown, filtered, visible } from "./state.js";

/** Largest image fetched and checked. */
const MAX_BYTES = 32 * 1024 * 1024;
/** Results kept in memory (each cache), oldest dropped first. */
const MAX_CACHED = 2000;
/** PDQ distance that counts as a bank match (the CLI's default). */
const BANK_THRESHOLD = 31;

const DEFAULT_SETTINGS = { trustPem: "", mode: "all", showUnsigned: true, banks: [] };

let wasmReady = null;
let wasmExports = null;
function ready() {
  wasmReady ??= (async () => {
    const response = await fetch(chrome.runtime.getURL("wasm/hallmark_wasm_bg.wasm"));
    wasmExports = initSync({ module: await response.arrayBuffer() });
  })();
  return wasmReady;
}

async function settings() {
  const stored = await chrome.storage.local.get(Object.keys(DEFAULT_SETTINGS));
  return { ...DEFAULT_SETTINGS, ...stored };
}

const byUrl = new Map();
const byDigest = new Map();
/** tabId -> Map(url -> {badge, thumb}) for the popup. */
const tabs = new Map();
/** Tabs whose page keeps removing our badges. */
const hostileTabs = new Set();

function remember(map, key, value) {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_CACHED) map.delete(map.keys().next().value);
}

chrome.storage.onChanged.addListener(() => {
  // New trust anchors or banks: every earlier answer may be wrong now.
  byUrl.clear();
  byDigest.clear();
});
chrome.tabs.onRemoved.addListener((tabId) => {
  tabs.delete(tabId);
  hostileTabs.delete(tabId);
});

class CheckError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** The bytes behind a URL the page shows, under MAX_BYTES. */
async function fetchBytes(url) {
  const parsed = new URL(url);
  if (parsed.protocol === "data:") {
    const comma = url.indexOf(",");
    const meta = url.slice(5, comma);
    const body = url.slice(comma + 1);
    if (body.length > MAX_BYTES * 1.4) throw new CheckError("fetch.too_large", "data: URL over the size limit");
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
  if (declared > MAX_BYTES) throw new CheckError("fetch.too_large", `${declared} bytes, over the ${MAX_BYTES} limit`);
  const reader = response.body.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > MAX_BYTES) {
      await reader.cancel();
      throw new CheckError("fetch.too_large", `over the ${MAX_BYTES}-byte limit`);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return bytes;
}

/** What the details card shows: strings only, made visible, set as text by the content script. */
function details(report, bankMatch) {
  const card = rawDetails(report, bankMatch);
  for (const [key, value] of Object.entries(card)) {
    card[key] = Array.isArray(value) ? value.map(visible) : visible(value);
  }
  return card;
}

function rawDetails(report, bankMatch) {
  const claimed = report.claimed ?? {};
  return {
    verdict: report.verdict,
    summary: report.summary,
    // Tampered and invalid files: what follows is only what the manifest claims.
    claims: report.claimed ? "Claimed, not verified (the file does not match its credentials)" : null,
    signer: signerName(report.signer),
    claimedSigner: signerName(report.claimed_signer),
    issuer: report.signer?.issuer ?? report.claimed_signer?.issuer ?? null,
    vouchedBy: report.signer?.anchor ? `${report.signer.anchor.name} (from ${report.signer.anchor.source})` : null,
    chain: report.signer?.chain?.length ? report.signer.chain.join(" → ") : null,
    identities: (report.identities ?? []).map(
      (i) =>
        `${i.name ?? "unnamed"} (${i.sig_type ?? "unknown type"}; ${
          i.trusted ? "trusted" : i.status.length ? `not trusted: ${i.status.join(", ")}` : "not trusted"
        })`,
    ),
    signedAt: report.signed_at,
    tool: report.claim_generator ?? claimed.claim_generator ?? null,
    title: report.title ?? claimed.title ?? null,
    sourceType: report.digital_source_type ?? claimed.digital_source_type ?? null,
    actions: report.actions.length ? report.actions : claimed.actions ?? [],
    // A tampered or invalid file's ingredients are only what it claims.
    ingredients: (report.ingredients.length ? report.ingredients : claimed.ingredients ?? []).map(
      (i) => `${i.title ?? "untitled"} (${i.verdict}${report.ingredients.length ? "" : ", claimed"})`,
    ),
    codes: report.status.filter((s) => s.kind === "failure").map((s) => s.code),
    error: report.error ? `${report.error.code}: ${report.error.message}` : null,
    bank: bankMatch ? `${bankMatch.label}${bankMatch.note ? ` (${bankMatch.note})` : ""}, ${bankMatch.distance} bits` : null,
  };
}

function bestBankMatch(bytes, banks) {
  if (!banks.length) return null;
  let h;
  try {
    h = hash(bytes);
  } catch {
    return null; // not decodable: the report says why
  }
  if (h.quality < 50) return null; // too featureless to match
  let best = null;
  for (const bank of banks) {
    for (const m of matchBank(h.pdq, bank.tsv, BANK_THRESHOLD).matches) {
      if (!best || m.distance < best.distance) best = m;
    }
  }
  return best;
}

function thumb(bytes) {
  try {
    const jpeg = thumbnail(bytes, 96);
    let bin = "";
    for (let i = 0; i < jpeg.length; i += 0x8000) bin += String.fromCharCode(...jpeg.subarray(i, i + 0x8000));
    return `data:image/jpeg;base64,${btoa(bin)}`;
  } catch {
    return null;
  }
}

async function check(url) {
  const cached = byUrl.get(url);
  if (cached) return cached;
  await ready();
  const config = await settings();
  let result;
  try {
    const bytes = await fetchBytes(url);
    const digest = blake3Hex(bytes);
    result = byDigest.get(digest);
    if (!result) {
      const report = verify(bytes, config.trustPem.trim() ? { trustAnchorsPem: config.trustPem } : undefined);
      const bankMatch = bestBankMatch(bytes, config.banks);
      result = { badge: badgeFor(report, bankMatch), details: details(report, bankMatch), thumb: thumb(bytes) };
      remember(byDigest, digest, result);
    }
  } catch (e) {
    const code = e.code ?? "fetch.failed";
    const message = e.message ?? String(e);
    result = {
      badge: { state: "error", text: "Not checked", title: `${code}: ${message}` },
      details: { verdict: "error", summary: `Could not be checked: ${message}`, error: `${code}: ${message}` },
      thumb: null,
    };
  }
  remember(byUrl, url, result);
  return result;
}

chrome.runtime.onMessage.addListener((message, sender, reply) => {
  // Our own pages (popup, options) may ask for results; only content scripts in web pages send "check".
  const ownPage = typeof sender.url === "string" && sender.url.startsWith(chrome.runtime.getURL(""));
  if (message?.type === "check" && sender.tab && !ownPage && typeof message.url === "string") {
    // Only our content script sends "check", from a tab, for an image it found on that page.
    const tabId = sender.tab.id;
    check(message.url).then(async (result) => {
      const { mode, showUnsigned } = await settings();
      if (!tabs.has(tabId)) tabs.set(tabId, new Map());
      tabs.get(tabId).set(message.url, { url: message.url, badge: result.badge, thumb: result.thumb });
      const state = result.badge.state;
      reply({ ...result, show: shown(state, mode, showUnsigned), veil: mode === "filter" && filtered(state) });
    });
    return true; // replies asynchronously
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
    chrome.action.setBadgeText({ tabId: sender.tab.id, text: "" });
    return false;
  }
  return false;
});
