// Settings, kept in chrome.storage.local: trust anchors (PEM), mode, whether
// unsigned images get a badge, and hash banks (TSV). PEM text is checked by
// the WASM module before it is saved, so a broken bundle is never half-used.
import { initSync, verify, bankSummary, extensionLimits } from "../wasm/hallmark_wasm.js";

const $ = (id) => document.getElementById(id);
const DEFAULTS = { trustPem: "", mode: "all", filter: "strict", showUnsigned: true, banks: [], registryOn: false, registryUrl: "" };
let MAX_BANK_BYTES = 0;

async function load() {
  const response = await fetch(chrome.runtime.getURL("wasm/hallmark_wasm_bg.wasm"));
  initSync({ module: await response.arrayBuffer() });
  MAX_BANK_BYTES = extensionLimits().maxBankBytes;
  const s = { ...DEFAULTS, ...(await chrome.storage.local.get(Object.keys(DEFAULTS))) };
  $("trust").value = s.trustPem;
  for (const radio of document.querySelectorAll("input[name=mode]")) radio.checked = radio.value === s.mode;
  for (const radio of document.querySelectorAll("input[name=filter]")) radio.checked = radio.value === s.filter;
  $("show-unsigned").checked = s.showUnsigned;
  $("registry-on").checked = s.registryOn;
  $("registry-url").value = s.registryUrl;
  showBanks(s.banks);
}

function status(id, text, ok) {
  $(id).textContent = text;
  $(id).className = ok ? "ok" : "error";
}

/** Check a PEM bundle by verifying an empty input with it: bad PEM throws {code, message}. */
function checkPem(pem) {
  if (!pem.trim()) return null;
  try {
    verify(new Uint8Array(0), { trustAnchorsPem: pem });
    return null;
  } catch (e) {
    return e.message ?? String(e);
  }
}

$("trust-file").addEventListener("change", async (e) => {
  const file = e.target.files[0];
  if (file) $("trust").value = await file.text();
});

$("save-trust").addEventListener("click", async () => {
  const pem = $("trust").value;
  const problem = checkPem(pem);
  if (problem) return status("trust-status", `Not saved: ${problem}`, false);
  await chrome.storage.local.set({ trustPem: pem });
  const n = (pem.match(/-----BEGIN CERTIFICATE-----/g) ?? []).length;
  status("trust-status", `Saved: ${n} certificate${n === 1 ? "" : "s"}`, true);
});

for (const radio of document.querySelectorAll("input[name=mode]")) {
  radio.addEventListener("change", () => chrome.storage.local.set({ mode: radio.value }));
}
for (const radio of document.querySelectorAll("input[name=filter]")) {
  radio.addEventListener("change", () => chrome.storage.local.set({ filter: radio.value }));
}
$("show-unsigned").addEventListener("change", (e) => chrome.storage.local.set({ showUnsigned: e.target.checked }));

/** A registry service's API root: http(s), no credentials in it, no query or fragment. */
function registryProblem(text) {
  let url;
  try {
    url = new URL(text);
  } catch {
    return "not a URL";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "the URL must start with https:// or http://";
  if (url.username || url.password) return "no user name or password in the URL";
  if (url.search || url.hash) return "no query or fragment: the API root, such as https://registry.example/v1";
  return null;
}

$("save-registry").addEventListener("click", async () => {
  const on = $("registry-on").checked;
  const url = $("registry-url").value.trim().replace(/\/+$/, "");
  const problem = on || url ? registryProblem(url) : null;
  if (problem) return status("registry-status", `Not saved: ${problem}`, false);
  await chrome.storage.local.set({ registryOn: on, registryUrl: url });
  status("registry-status", on ? `Saved: asking ${url}` : "Saved: off", true);
});

$("bank-file").addEventListener("change", async (e) => {
  const file = e.target.files[0];
  if (!file) return;
  if (file.size > MAX_BANK_BYTES) return status("bank-status", `Not added: over ${MAX_BANK_BYTES >> 20} MB`, false);
  const tsv = await file.text();
  // Read by the WASM bank parser (what matching uses), never matched here:
  // matchBank refuses thresholds over 128 bits.
  const { entries, bad_lines } = bankSummary(tsv);
  if (!entries) return status("bank-status", `Not added: no valid line (${bad_lines.length} bad)`, false);
  const { banks } = { ...DEFAULTS, ...(await chrome.storage.local.get("banks")) };
  banks.push({ name: file.name, tsv, entries });
  await chrome.storage.local.set({ banks });
  status("bank-status", `Added ${entries} hashes${bad_lines.length ? `, ${bad_lines.length} bad lines skipped` : ""}`, true);
  showBanks(banks);
});

function showBanks(banks) {
  const list = $("banks");
  list.replaceChildren();
  banks.forEach((bank, i) => {
    const li = document.createElement("li");
    li.textContent = `${bank.name}: ${bank.entries} hashes `;
    const remove = document.createElement("button");
    remove.textContent = "Remove";
    remove.addEventListener("click", async () => {
      banks.splice(i, 1);
      await chrome.storage.local.set({ banks });
      showBanks(banks);
    });
    li.append(remove);
    list.append(li);
  });
}

load();
