// Finds the images of a page (img, picture/srcset, lazy-loaded, added later),
// asks the extension's service worker about those on or near the screen, and
// draws a badge over each inside a closed shadow root, so the page can't read,
// restyle or forge what is drawn. Every string is set as text, never as HTML.
(() => {
  "use strict";
  const MIN_SIDE = 64;
  const MARKS = { trusted: "✔", unknown: "✓", ai: "✦", tampered: "✘", invalid: "✘", unsigned: "○", matched: "⚑", error: "?" };
  const HOST_STYLE = [
    ["position", "absolute"],
    ["display", "block"],
    ["visibility", "visible"],
    ["opacity", "1"],
    ["z-index", "2147483647"],
    ["pointer-events", "none"],
    ["margin", "0"],
    ["padding", "0"],
    ["transform", "none"],
    ["filter", "none"],
    ["clip-path", "none"],
    ["mask", "none"],
    ["border", "0"],
    ["background", "transparent"],
    ["overflow", "visible"],
    ["min-width", "0"],
    ["min-height", "0"],
    ["max-width", "none"],
    ["max-height", "none"],
  ];
  const CSS = `
    :host { all: initial; }
    * { box-sizing: border-box; font: 12px/1.35 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
    .badge { position: absolute; left: 6px; top: 6px; display: inline-flex; gap: 5px; align-items: center;
             max-width: 260px; padding: 3px 8px; border-radius: 12px; color: #fff; font-weight: 700;
             box-shadow: 0 1px 3px rgba(0,0,0,.4); cursor: pointer; pointer-events: auto; white-space: nowrap; }
    .badge .text { overflow: hidden; text-overflow: ellipsis; }
    .s-trusted { background: #1e7d34; } .s-unknown { background: #2563eb; } .s-ai { background: #7c3aed; }
    .s-tampered { background: #b42318; } .s-invalid { background: #c2410c; } .s-unsigned { background: #4b5563; }
    .s-matched { background: #111827; } .s-error { background: #6b7280; }
    .card { position: absolute; left: 6px; top: 34px; width: 300px; padding: 10px 12px; border-radius: 8px;
            background: #fff; color: #111827; box-shadow: 0 4px 16px rgba(0,0,0,.35); pointer-events: auto; }
    .card h2 { margin: 0 0 6px; font-size: 13px; font-weight: 700; }
    .card dl { margin: 0; display: grid; grid-template-columns: max-content 1fr; gap: 2px 8px; }
    .card dt { color: #6b7280; } .card dd { margin: 0; overflow-wrap: anywhere; }
    .card p { margin: 0 0 6px; overflow-wrap: anywhere; }
    .card p.claims { margin: 8px 0 4px; font-weight: 700; color: #b45309; }
    .veil { position: absolute; left: 0; top: 0; display: flex; flex-direction: column; gap: 6px;
            align-items: center; justify-content: center; pointer-events: auto; cursor: pointer;
            backdrop-filter: blur(24px); -webkit-backdrop-filter: blur(24px); background: rgba(17,24,39,.35); color: #fff; }
    .veil button { pointer-events: none; padding: 4px 10px; border-radius: 6px; border: 0; background: #fff; color: #111827; font-weight: 700; }
    [hidden] { display: none !important; }
  `;

  // A tag name of our own for this page load: page CSS and scripts can't target it by name.
  const TAG = `hm-${Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, "0")).join("")}`;
  const UPPER_TAG = TAG.toUpperCase();
  // A page that keeps removing badges is not fought forever (that would freeze it):
  // past this many removals in REMOVAL_WINDOW_MS, badges stay off and the toolbar says why.
  const MAX_REMOVALS = 20;
  const REMOVAL_WINDOW_MS = 2000;
  let removals = [];
  let hostilePage = false;

  /** Count one undoing of the page's tampering with a badge; false once the page is fighting. */
  function fought() {
    const now = performance.now();
    removals = removals.filter((t) => now - t < REMOVAL_WINDOW_MS);
    removals.push(now);
    if (removals.length <= MAX_REMOVALS) return true;
    hostilePage = true;
    chrome.runtime.sendMessage({ type: "hostile-page" }).catch(() => {});
    return false;
  }

  /** img -> {url, host, root, parts} for every image with a badge (or one on its way). */
  const badges = new Map();
  const near = new WeakSet();
  const watched = new WeakSet();
  const shadowRoots = new WeakMap(); // host -> closed shadow root (never exposed to the page)

  chrome.runtime.sendMessage({ type: "page-reset" }).catch(() => {});

  function el(root, tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = String(text);
    if (root) root.appendChild(node);
    return node;
  }

  /** Set an inline !important property, only when it differs (so our own writes cause no mutation loop). */
  function setImportant(host, prop, value) {
    if (host.style.getPropertyValue(prop) !== value || host.style.getPropertyPriority(prop) !== "important") {
      host.style.setProperty(prop, value, "important");
    }
  }

  function pinHost(host) {
    for (const [prop, value] of HOST_STYLE) setImportant(host, prop, value);
  }

  function makeHost() {
    const host = document.createElement(TAG);
    const root = host.attachShadow({ mode: "closed" });
    shadowRoots.set(host, root);
    el(root, "style", null, CSS);
    pinHost(host);
    return { host, root };
  }

  function place(entry) {
    const { img, host, parts } = entry;
    if (!img.isConnected) {
      host.remove();
      badges.delete(img);
      return;
    }
    const r = img.getBoundingClientRect();
    pinHost(host);
    setImportant(host, "left", `${r.left + window.scrollX}px`);
    setImportant(host, "top", `${r.top + window.scrollY}px`);
    setImportant(host, "width", `${r.width}px`);
    setImportant(host, "height", "0px");
    if (parts.veil) {
      parts.veil.style.width = `${r.width}px`;
      parts.veil.style.height = `${r.height}px`;
    }
    if (host.parentNode !== document.documentElement && !hostilePage) document.documentElement.appendChild(host);
  }

  function row(dl, label, value) {
    if (value == null || value === "" || (Array.isArray(value) && !value.length)) return;
    el(dl, "dt", null, label);
    el(dl, "dd", null, Array.isArray(value) ? value.join(", ") : value);
  }

  function draw(entry, result) {
    const { root } = entry;
    const { badge, details } = result;
    const parts = {};
    if (result.veil) {
      const veil = el(root, "div", "veil");
      el(veil, "button", null, "Show image");
      el(veil, "span", "why", badge.state === "matched" ? `Hash bank: ${badge.text}` : badge.text);
      veil.dataset.state = badge.state;
      veil.addEventListener("click", (e) => {
        e.stopPropagation();
        veil.hidden = true;
      });
      parts.veil = veil;
    }
    if (result.show) {
      const b = el(root, "div", `badge s-${badge.state}`);
      b.dataset.state = badge.state;
      b.title = badge.title ?? "";
      el(b, "span", "mark", MARKS[badge.state] ?? "?");
      el(b, "span", "text", badge.text);
      const card = el(root, "div", "card");
      card.hidden = true;
      el(card, "h2", null, badge.text);
      el(card, "p", null, details.summary);
      const dl = el(card, "dl");
      row(dl, "Signer", details.signer);
      row(dl, "Claims signer", details.claimedSigner);
      row(dl, "Issuer", details.issuer);
      row(dl, "Vouched for by", details.vouchedBy);
      row(dl, "Chain", details.chain);
      row(dl, "Identities", details.identities);
      row(dl, "Signed at", details.signedAt);
      // A tampered or invalid file's title, tool, source, actions and
      // ingredients are claims: set apart under their own heading.
      let facts = dl;
      if (details.claims) {
        el(card, "p", "claims", details.claims);
        facts = el(card, "dl");
      }
      row(facts, "Tool", details.tool);
      row(facts, "Title", details.title);
      row(facts, "Source", details.sourceType);
      row(facts, "Actions", details.actions);
      row(facts, "Ingredients", details.ingredients);
      const rest = details.claims ? el(card, "dl") : dl;
      row(rest, "Why", details.codes);
      row(rest, "Hash bank", details.bank);
      row(rest, "Error", details.error);
      b.addEventListener("click", (e) => {
        e.preventDefault();
        e.stopPropagation();
        card.hidden = !card.hidden;
      });
      parts.badge = b;
      parts.card = card;
    }
    entry.parts = parts;
    place(entry);
  }

  function consider(img) {
    if (!img.isConnected || !near.has(img) || !img.complete || img.naturalWidth === 0) return;
    const r = img.getBoundingClientRect();
    if (r.width < MIN_SIDE || r.height < MIN_SIDE) return;
    const url = img.currentSrc || img.src;
    if (!url || !/^(https?|data):/i.test(url)) return;
    const old = badges.get(img);
    if (old && old.url === url) return;
    if (old) old.host.remove();
    const { host, root } = makeHost();
    const entry = { img, url, host, root, parts: {} };
    badges.set(img, entry);
    chrome.runtime
      .sendMessage({ type: "check", url })
      .then((result) => {
        if (badges.get(img) !== entry || !result) return; // replaced meanwhile
        draw(entry, result);
      })
      .catch(() => {});
  }

  const io = new IntersectionObserver(
    (entries) => {
      for (const e of entries) {
        if (e.isIntersecting) {
          near.add(e.target);
          consider(e.target);
        }
      }
    },
    { rootMargin: "300px" },
  );

  function watch(img) {
    if (watched.has(img)) return;
    watched.add(img);
    io.observe(img);
    img.addEventListener("load", () => consider(img));
  }

  function scan(node) {
    if (node.nodeType !== 1) return;
    if (node.tagName === "IMG") watch(node);
    else if (node.tagName !== UPPER_TAG) for (const img of node.querySelectorAll("img")) watch(img);
  }

  let scheduled = false;
  function replaceAll() {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      for (const entry of badges.values()) if (entry.parts.badge || entry.parts.veil) place(entry);
    });
  }

  new MutationObserver((records) => {
    for (const rec of records) {
      if (rec.type === "attributes") {
        const t = rec.target;
        // The page restyled our host: pin it again, unless it keeps doing it.
        if (t.tagName === UPPER_TAG && shadowRoots.has(t) && !hostilePage && fought()) pinHost(t);
        else if (t.tagName === "IMG") consider(t); // new src or srcset
        continue;
      }
      for (const n of rec.addedNodes) scan(n);
      for (const n of rec.removedNodes) {
        // Our badge taken out of the page: put it back, unless the page keeps doing it.
        if (n.tagName === UPPER_TAG && shadowRoots.has(n) && !hostilePage && fought()) {
          for (const entry of badges.values()) if (entry.host === n && entry.img.isConnected) place(entry);
        }
      }
    }
    replaceAll();
  }).observe(document.documentElement, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: ["src", "srcset", "style", "class", "hidden"],
  });

  addEventListener("scroll", replaceAll, { passive: true });
  addEventListener("resize", replaceAll, { passive: true });
  scan(document.documentElement);
})();
