// The current tab in numbers per badge state, and each checked image with
// its thumbnail (made by the WASM module from the bytes already fetched: the
// popup loads nothing from the web). States, their order and labels are the
// WASM module's.
import { initSync, badgeStates } from "../wasm/hallmark_wasm.js";

const el = (tag, cls, text) => {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text != null) node.textContent = String(text);
  return node;
};

async function main() {
  const response = await fetch(chrome.runtime.getURL("wasm/hallmark_wasm_bg.wasm"));
  initSync({ module: await response.arrayBuffer() });
  const infos = badgeStates();
  const STATES = infos.map((i) => i.state);
  const params = new URLSearchParams(location.search);
  let tabId = Number(params.get("tab"));
  if (!tabId) [{ id: tabId }] = await chrome.tabs.query({ active: true, currentWindow: true });
  const { results, hostile } = await chrome.runtime.sendMessage({ type: "tab-results", tabId });
  document.getElementById("hostile").hidden = !hostile;
  const counts = document.getElementById("counts");
  const list = document.getElementById("list");
  document.getElementById("empty").hidden = results.length > 0;
  for (const state of STATES) {
    const n = results.filter((r) => r.badge.state === state).length;
    if (!n) continue;
    const c = el("span", `count s-${state}`, `${n} ${infos.find((i) => i.state === state).label}`);
    c.dataset.state = state;
    c.dataset.count = String(n);
    counts.append(c);
  }
  results.sort((a, b) => STATES.indexOf(a.badge.state) - STATES.indexOf(b.badge.state));
  for (const r of results) {
    const li = el("li");
    li.dataset.state = r.badge.state;
    const img = el("img");
    img.alt = "";
    if (r.thumb && r.thumb.startsWith("data:image/jpeg;base64,")) img.src = r.thumb;
    const text = el("div");
    const badge = el("span", `count s-${r.badge.state}`, r.badge.text);
    text.append(badge, el("div", "url", r.url.startsWith("data:") ? "data: URL" : r.url));
    li.append(img, text);
    list.append(li);
  }
}

main();
