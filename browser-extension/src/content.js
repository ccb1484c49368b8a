// Finds the images of a page (img, picture/srcset, lazy-loaded, added later)
// and its <video> and <audio>, asks the extension's service worker about those
// on or near the screen, and draws a badge over each inside a closed shadow root, so the page can't read,
// restyle or forge what is drawn. Every string is set as text, never as HTML.
//
// A trusted badge goes green only when the screen shows the verified pixels:
// this script measures where the image is drawn and what may change it (a
// cheap first pass), and the worker compares a screenshot of that box with
// the verified file. It measures again when the page changes, scrolls, comes
// to the front, and every few seconds. What a video or audio element plays
// can't be compared so: a trusted one is never green (the core says why). What to draw is always the worker's
// (the WASM module's) answer: this script only measures and draws.
(() => {
  "use strict";
  // Until the worker answers with the core's limits.
  let MIN_SIDE = 64;
  let RECHECK_MS = 3000;
  // Counts every scroll, resize and change to our own badges, cards and veils.
  // A comparison whose screenshot may postdate such a change (a card opened
  // over a neighbour after its masks were measured; a scroll away and back)
  // measures again rather than call a trusted image a mismatch. A page that
  // keeps moving gets no more than MAX_REDOS such passes in a row: then the
  // mismatch is drawn, never the green it had. So does a comparison of an
  // image whose own veil was hidden for the screenshot: on a busy machine the
  // capture can still show the veil, which is our drawing, not the page's.
  let changed = 0;
  const MAX_REDOS = 2;
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
    .s-tampered { background: #b42318; } .s-invalid { background: #c2410c; } .s-unsigned { background: #4b5563; } .s-recovered { background: #0e7490; }
    .s-matched { background: #111827; } .s-error { background: #6b7280; }
    .s-pending { background: #6b7280; } .s-mismatch { background: #b45309; }
    .card { position: absolute; left: 6px; top: 34px; width: 300px; padding: 10px 12px; border-radius: 8px;
            background: #fff; color: #111827; box-shadow: 0 4px 16px rgba(0,0,0,.35); pointer-events: auto; }
    .card h2 { margin: 0 0 6px; font-size: 13px; font-weight: 700; }
    .card dl { margin: 0; display: grid; grid-template-columns: max-content 1fr; gap: 2px 8px; }
    .card dt { color: #6b7280; } .card dd { margin: 0; overflow-wrap: anywhere; }
    .card p { margin: 0 0 6px; overflow-wrap: anywhere; }
    .card p.claims { margin: 8px 0 4px; font-weight: 700; color: #b45309; }
    .card figure { margin: 0 0 8px; display: flex; gap: 8px; align-items: center; color: #6b7280; }
    .card canvas { border: 1px solid #d1d5db; border-radius: 4px; }
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

  /** element -> {el, url, host, root, parts, drawn, screen, ...} for every badge or veil (or one on its way). */
  const badges = new Map();
  const near = new WeakSet();
  const watched = new WeakSet();
  const shadowRoots = new WeakMap(); // host -> closed shadow root (never exposed to the page)
  /** Whether canvases, videos and CSS backgrounds are veiled (strict feed filter); the worker says. */
  let veilElements = false;

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
    const { el: target, host, parts } = entry;
    if (!target.isConnected) {
      host.remove();
      badges.delete(target);
      return;
    }
    const r = target.getBoundingClientRect();
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

  /** The verified file's thumbnail, drawn on a canvas (no URL the page's CSP could block). */
  function drawThumb(parent, dataUrl) {
    if (!dataUrl || !dataUrl.startsWith("data:image/jpeg;base64,")) return;
    const figure = el(parent, "figure");
    const canvas = el(figure, "canvas");
    el(figure, "span", null, "The verified file");
    const bin = atob(dataUrl.slice(dataUrl.indexOf(",") + 1));
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    createImageBitmap(new Blob([bytes], { type: "image/jpeg" }))
      .then((bitmap) => {
        canvas.width = bitmap.width;
        canvas.height = bitmap.height;
        canvas.style.width = `${bitmap.width / 1.5}px`;
        canvas.getContext("2d").drawImage(bitmap, 0, 0);
        canvas.dataset.drawn = "1";
        bitmap.close();
      })
      .catch(() => figure.remove());
  }

  function draw(entry, answer) {
    const key = `${answer.badge.state}\u0000${answer.badge.text}\u0000${answer.badge.title}\u0000${answer.show}\u0000${answer.veil}`;
    entry.answer = answer;
    entry.screen = answer.screen === true;
    if (entry.drawnKey === key) return place(entry);
    entry.drawnKey = key;
    changed++; // our parts moved or appeared: a comparison measured before this saw other masks
    const { root } = entry;
    entry.parts.wrap?.remove();
    const wrap = el(root, "div", "wrap");
    const { badge, card: details } = answer;
    const parts = { wrap };
    if (answer.veil && !entry.unveiled) {
      const veil = el(wrap, "div", "veil");
      el(veil, "button", null, "Show image");
      el(veil, "span", "why", badge.state === "matched" ? `Hash bank: ${badge.text}` : badge.text);
      veil.dataset.state = badge.state;
      veil.addEventListener("click", (e) => {
        e.stopPropagation();
        veil.hidden = true;
        entry.unveiled = true;
        changed++;
      });
      parts.veil = veil;
    }
    if (answer.show) {
      const b = el(wrap, "div", `badge s-${badge.state}`);
      b.dataset.state = badge.state;
      b.title = badge.title ?? "";
      el(b, "span", "mark", badge.mark);
      el(b, "span", "text", badge.text);
      const card = el(wrap, "div", "card");
      card.hidden = !entry.cardOpen;
      el(card, "h2", null, details.heading);
      drawThumb(card, answer.thumb);
      el(card, "p", null, details.summary);
      if (badge.state !== details.verdict && (badge.state === "pending" || badge.state === "mismatch")) {
        el(card, "p", "claims", badge.title);
      }
      for (const section of details.sections) {
        if (section.heading) el(card, "p", "claims", section.heading);
        const dl = el(card, "dl");
        for (const { label, value } of section.rows) {
          el(dl, "dt", null, label);
          el(dl, "dd", null, value);
        }
      }
      b.addEventListener("click", (e) => {
        e.preventDefault();
        e.stopPropagation();
        card.hidden = !card.hidden;
        entry.cardOpen = !card.hidden;
        changed++;
      });
      parts.badge = b;
      parts.card = card;
    }
    entry.parts = parts;
    place(entry);
  }

  function track(target, url, message) {
    const old = badges.get(target);
    if (old && old.url === url) return;
    if (old) old.host.remove();
    const { host, root } = makeHost();
    const entry = { el: target, url, host, root, parts: {} };
    badges.set(target, entry);
    chrome.runtime
      .sendMessage(message)
      .then((answer) => {
        if (badges.get(target) !== entry || !answer) return; // replaced meanwhile
        draw(entry, answer);
        if (entry.screen) scheduleScreen(0);
      })
      .catch(() => {});
  }

  function consider(img) {
    if (!img.isConnected || !near.has(img) || !img.complete || img.naturalWidth === 0) return;
    const r = img.getBoundingClientRect();
    if (r.width < MIN_SIDE || r.height < MIN_SIDE) return;
    const url = img.currentSrc || img.src;
    if (!url) return;
    if (/^(https?|data):/i.test(url)) return track(img, url, { type: "check", url });
    // blob: and other schemes: the bytes are the page's alone, never checked.
    track(img, url, { type: "uncheckable", kind: /^blob:/i.test(url) ? "blob" : "scheme", image: true });
  }

  const isMedia = (n) => n.tagName === "VIDEO" || n.tagName === "AUDIO";

  /**
   * <video> and <audio>: the file they play is fetched and verified as an
   * image's is (under the size cap). What MediaSource, blob: URLs and
   * captures (srcObject) play has no file to fetch: never checked, and
   * veiled by the strict filter.
   */
  function considerMedia(media) {
    if (!media.isConnected || !near.has(media)) return;
    const r = media.getBoundingClientRect();
    // Audio controls are a bar: wide enough is enough.
    if (r.width < MIN_SIDE || r.height === 0 || (media.tagName === "VIDEO" && r.height < MIN_SIDE)) return;
    if (media.srcObject) return track(media, "stream:", { type: "uncheckable", kind: "video", image: true });
    const url = media.currentSrc || media.src;
    if (!url) return; // nothing chosen yet: its loadstart event brings it back
    if (/^(https?|data):/i.test(url)) return track(media, url, { type: "check", url });
    track(media, url, { type: "uncheckable", kind: "video", image: true });
  }

  /** Canvases and CSS backgrounds: veiled by the strict feed filter, never badged. */
  function considerElement(node) {
    if (!veilElements || !node.isConnected || node === document.body || node === document.documentElement) return;
    if (node.tagName === UPPER_TAG || badges.has(node)) return;
    const r = node.getBoundingClientRect();
    if (r.width < MIN_SIDE || r.height < MIN_SIDE) return;
    let kind = null;
    if (node.tagName === "CANVAS") kind = "canvas";
    else if (/url\(/i.test(getComputedStyle(node).backgroundImage)) kind = "background";
    if (kind) track(node, `${kind}:`, { type: "uncheckable", kind, image: false });
  }

  const io = new IntersectionObserver(
    (entries) => {
      for (const e of entries) {
        if (e.isIntersecting) {
          near.add(e.target);
          if (e.target.tagName === "IMG") consider(e.target);
          else if (isMedia(e.target)) considerMedia(e.target);
          else considerElement(e.target);
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

  function watchMedia(media) {
    if (watched.has(media)) return;
    watched.add(media);
    io.observe(media);
    // A source chosen, changed or dropped: check what it plays now.
    for (const type of ["loadstart", "loadedmetadata", "emptied"]) media.addEventListener(type, () => considerMedia(media));
  }

  /** Most elements looked at for CSS backgrounds per added subtree. */
  const MAX_STYLED_SCAN = 3000;
  function watchElements(node) {
    if (!veilElements) return;
    const list = [node, ...node.querySelectorAll("*")].slice(0, MAX_STYLED_SCAN);
    for (const n of list) {
      if (n.tagName === "IMG" || isMedia(n) || n.tagName === UPPER_TAG || watched.has(n)) continue;
      if (n.tagName === "CANVAS" || /url\(/i.test(getComputedStyle(n).backgroundImage)) {
        watched.add(n);
        io.observe(n);
      }
    }
  }

  function scan(node) {
    if (node.nodeType !== 1 || node.tagName === UPPER_TAG) return;
    if (node.tagName === "IMG") watch(node);
    else if (isMedia(node)) watchMedia(node);
    else {
      for (const img of node.querySelectorAll("img")) watch(img);
      for (const media of node.querySelectorAll("video, audio")) watchMedia(media);
    }
    watchElements(node);
  }

  // ---- What the screen shows -------------------------------------------

  const px = (v) => parseFloat(v) || 0;
  const intersect = (a, b) => {
    const x = Math.max(a.x, b.x);
    const y = Math.max(a.y, b.y);
    const right = Math.min(a.x + a.width, b.x + b.width);
    const bottom = Math.min(a.y + a.height, b.y + b.height);
    return { x, y, width: Math.max(0, right - x), height: Math.max(0, bottom - y) };
  };

  /** Where the picture itself is drawn (viewport CSS px): the content box, fitted by object-fit/object-position. */
  function drawnRect(img, cs) {
    const r = img.getBoundingClientRect();
    const box = {
      x: r.left + px(cs.borderLeftWidth) + px(cs.paddingLeft),
      y: r.top + px(cs.borderTopWidth) + px(cs.paddingTop),
      width: Math.max(0, r.width - px(cs.borderLeftWidth) - px(cs.paddingLeft) - px(cs.borderRightWidth) - px(cs.paddingRight)),
      height: Math.max(0, r.height - px(cs.borderTopWidth) - px(cs.paddingTop) - px(cs.borderBottomWidth) - px(cs.paddingBottom)),
    };
    const nw = img.naturalWidth;
    const nh = img.naturalHeight;
    let { width: w, height: h } = box;
    const fit = cs.objectFit;
    const wider = box.width / Math.max(1, box.height) > nw / nh;
    if (fit === "contain" || (fit === "scale-down" && (nw > box.width || nh > box.height))) {
      if (wider) w = (h * nw) / nh;
      else h = (w * nh) / nw;
    } else if (fit === "cover") {
      if (wider) h = (w * nh) / nw;
      else w = (h * nw) / nh;
    } else if (fit === "none" || fit === "scale-down") {
      w = nw;
      h = nh;
    }
    const [posX = "50%", posY = "50%"] = (cs.objectPosition || "").split(/\s+/);
    const at = (v, free) => (v.endsWith("%") ? (free * parseFloat(v)) / 100 : px(v));
    return { box, drawn: { x: box.x + at(posX, box.width - w), y: box.y + at(posY, box.height - h), width: w, height: h } };
  }

  /** A transform that only moves or scales (the box stays an upright rectangle). */
  const upright = (t) => {
    if (!t || t === "none") return true;
    const m = t.match(/^matrix\(([^)]*)\)$/);
    if (!m) return false;
    const [, b, c] = m[1].split(",").map(Number);
    return b === 0 && c === 0;
  };

  /** The cheap pass's facts, and the geometry a screenshot comparison needs. */
  function measure(entry) {
    const img = entry.el;
    const cs = getComputedStyle(img);
    const { box, drawn } = drawnRect(img, cs);
    let shown = intersect(intersect(drawn, box), { x: 0, y: 0, width: innerWidth, height: innerHeight });
    let opacity = Number(cs.opacity);
    let restyled = "";
    const rounded = [];
    const radiusOf = (s, rect) =>
      Math.max(
        ...["borderTopLeftRadius", "borderTopRightRadius", "borderBottomLeftRadius", "borderBottomRightRadius"].map((k) => {
          const v = s[k] ?? "0";
          return v.includes("%") ? (parseFloat(v) / 100) * Math.min(rect.width, rect.height) : px(v);
        }),
      );
    if (radiusOf(cs, box) > 0) rounded.push([box, radiusOf(cs, box)]);
    const content = cs.content;
    if (content && content !== "normal" && content !== "none") restyled = "content";
    else if (cs.visibility !== "visible") restyled = "visibility";
    for (let node = img, depth = 0; node && node.nodeType === 1 && depth < 64; node = node.parentElement, depth++) {
      const s = node === img ? cs : getComputedStyle(node);
      if (node !== img) opacity *= Number(s.opacity);
      if (!restyled) {
        if (s.filter !== "none") restyled = "filter";
        else if (s.mixBlendMode !== "normal") restyled = "mix-blend-mode";
        else if (s.clipPath !== "none") restyled = "clip-path";
        else if ((s.maskImage ?? s.webkitMaskImage ?? "none") !== "none") restyled = "mask";
        else if (!upright(s.transform)) restyled = "transform";
      }
      // Ancestors that clip (carousels, rounded cards): only what they show is on screen.
      if (node !== img && (s.overflowX !== "visible" || s.overflowY !== "visible")) {
        const r = node.getBoundingClientRect();
        const clip = {
          x: r.left + px(s.borderLeftWidth),
          y: r.top + px(s.borderTopWidth),
          width: node.clientWidth || r.width,
          height: node.clientHeight || r.height,
        };
        shown = intersect(shown, clip);
        if (radiusOf(s, clip) > 0) rounded.push([clip, radiusOf(s, clip)]);
      }
    }
    // Rounded corners (its own, or a clipping ancestor's) show the page behind them: compare the part inside them.
    for (const [rect, radius] of rounded) {
      const inset = Math.min(radius * 0.3, rect.width / 4, rect.height / 4);
      shown = intersect(shown, { x: rect.x + inset, y: rect.y + inset, width: rect.width - 2 * inset, height: rect.height - 2 * inset });
    }
    // Anything topmost over it, except our own badges (elementsFromPoint skips pointer-events: none; the screenshot doesn't).
    let covered = false;
    if (shown.width > 0 && shown.height > 0) {
      for (const fy of [0.1, 0.35, 0.65, 0.9]) {
        for (const fx of [0.1, 0.35, 0.65, 0.9]) {
          const top = document
            .elementsFromPoint(shown.x + shown.width * fx, shown.y + shown.height * fy)
            .find((n) => !shadowRoots.has(n));
          if (top && top !== img) covered = true;
        }
      }
    }
    const area = drawn.width * drawn.height;
    const facts = {
      tabVisible: document.visibilityState === "visible",
      shownWidth: shown.width,
      shownHeight: shown.height,
      shownFraction: area > 0 ? (shown.width * shown.height) / area : 0,
      opacity,
      restyled,
      covered,
    };
    const source = {
      x: drawn.width > 0 ? (shown.x - drawn.x) / drawn.width : 0,
      y: drawn.height > 0 ? (shown.y - drawn.y) / drawn.height : 0,
      width: drawn.width > 0 ? shown.width / drawn.width : 0,
      height: drawn.height > 0 ? shown.height / drawn.height : 0,
    };
    return { facts, view: shown, source };
  }

  /** Where our own drawing sits over a box, as fractions of it: the comparison takes the file's pixels there. */
  function masksOver(view, except) {
    const masks = [];
    if (!(view.width > 0 && view.height > 0)) return masks;
    for (const other of badges.values()) {
      for (const part of [other.parts.badge, other.parts.card, other === except ? null : other.parts.veil]) {
        if (!part || part.hidden) continue;
        const r = intersect(part.getBoundingClientRect(), view);
        if (r.width > 0 && r.height > 0) {
          masks.push({ x: (r.x - view.x) / view.width, y: (r.y - view.y) / view.height, width: r.width / view.width, height: r.height / view.height });
        }
      }
    }
    return masks;
  }

  let screenTimer = null;
  let screenBusy = false;
  let screenAgain = false;

  // The earliest asked for wins: a page that scrolls or changes without end
  // must not put the next comparison off for ever.
  let screenDue = 0;
  function scheduleScreen(delay) {
    const due = Date.now() + delay;
    if (screenTimer) {
      if (screenDue <= due) return;
      clearTimeout(screenTimer);
    }
    screenDue = due;
    screenTimer = setTimeout(() => {
      screenTimer = null;
      runScreen();
    }, delay);
  }

  const frame = () => new Promise((r) => requestAnimationFrame(() => r()));

  async function runScreen() {
    if (screenBusy) {
      screenAgain = true;
      return;
    }
    // A hidden tab shows nothing: badges keep their last answer (a first one
    // stays "pending"), and everything is compared again when it is shown.
    if (document.visibilityState !== "visible") return;
    // Only what is at least partly in the viewport: an image scrolled away keeps its last answer, and is compared again as it comes back.
    const inView = (e) => {
      const r = e.el.getBoundingClientRect();
      return r.right > 0 && r.bottom > 0 && r.left < innerWidth && r.top < innerHeight;
    };
    const entries = [...badges.values()].filter((e) => e.screen && e.el.isConnected && e.answer && inView(e));
    if (!entries.length) return;
    screenBusy = true;
    try {
      // Our own veil over an image being compared is hidden for the screenshot
      // (inside the closed shadow root: the page can't see it happen).
      const hidden = [];
      const unveiled = new Set();
      for (const e of entries) {
        if (e.parts.veil && !e.parts.veil.hidden && e.parts.veil.style.visibility !== "hidden") {
          e.parts.veil.style.visibility = "hidden";
          hidden.push(e.parts.veil);
          unveiled.add(e);
        }
      }
      if (hidden.length) {
        await frame();
        await frame();
      }
      const generation = changed;
      const measured = entries.map((e) => ({ entry: e, ...measure(e) }));
      const before = `${scrollX},${scrollY},${innerWidth},${innerHeight}`;
      const items = measured.map((m) => ({
        url: m.entry.url,
        facts: m.facts,
        view: m.view,
        source: m.source,
        masks: masksOver(m.view, m.entry),
      }));
      let reply = null;
      try {
        reply = await chrome.runtime.sendMessage({ type: "screen", items, viewport: { width: innerWidth, height: innerHeight } });
      } finally {
        for (const v of hidden) v.style.visibility = "";
      }
      const moved = generation !== changed || before !== `${scrollX},${scrollY},${innerWidth},${innerHeight}`;
      // Hidden meanwhile: the screenshot may show another tab; compared again when shown.
      if (document.visibilityState !== "visible") return;
      for (const [i, m] of measured.entries()) {
        const answer = reply?.answers?.[i];
        if (!answer || badges.get(m.entry.el) !== m.entry) continue;
        // Scrolled, or our parts changed, meanwhile: the screenshot may show
        // another place or masks not measured; measure again (a few times).
        const redos = m.entry.redos ?? 0;
        const unsure = moved || unveiled.has(m.entry);
        if (unsure && answer.badge.state === "mismatch" && redos < MAX_REDOS) {
          m.entry.redos = redos + 1;
          screenAgain = true;
          continue;
        }
        m.entry.redos = 0;
        draw(m.entry, answer);
        // The popup counts what the page shows: this answer, now drawn.
        chrome.runtime.sendMessage({ type: "drawn", url: m.entry.url }).catch(() => {});
      }
    } catch {
      // The worker restarted or the page is going away: the next change asks again.
    } finally {
      screenBusy = false;
      if (screenAgain) {
        screenAgain = false;
        scheduleScreen(100);
      }
    }
  }

  // ---- Keeping up with the page ----------------------------------------

  let scheduled = false;
  function replaceAll() {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      for (const entry of badges.values()) if (entry.parts.badge || entry.parts.veil) place(entry);
    });
  }

  const ours = (n) => n && n.nodeType === 1 && n.tagName === UPPER_TAG && shadowRoots.has(n);

  new MutationObserver((records) => {
    let pageChanged = false;
    for (const rec of records) {
      if (rec.type === "attributes") {
        const t = rec.target;
        // The page restyled our host: pin it again, unless it keeps doing it.
        if (ours(t)) {
          if (!hostilePage && fought()) pinHost(t);
          continue;
        }
        pageChanged = true;
        if (t.tagName === "IMG") consider(t); // new src or srcset
        else if (isMedia(t)) considerMedia(t);
        else if (veilElements && rec.attributeName !== "src" && rec.attributeName !== "srcset") watchElements(t);
        continue;
      }
      if (rec.type === "characterData") {
        pageChanged = true;
        continue;
      }
      for (const n of rec.addedNodes) {
        if (ours(n)) continue;
        pageChanged = true;
        scan(n);
      }
      for (const n of rec.removedNodes) {
        // Our badge taken out of the page: put it back, unless the page keeps doing it.
        if (ours(n)) {
          if (!hostilePage && fought()) {
            for (const entry of badges.values()) if (entry.host === n && entry.el.isConnected) place(entry);
          }
        } else pageChanged = true;
      }
    }
    replaceAll();
    // Anything the page changed may change what is on screen over a trusted image.
    if (pageChanged) scheduleScreen(50);
  }).observe(document.documentElement, {
    childList: true,
    subtree: true,
    attributes: true,
    characterData: true,
    attributeFilter: ["src", "srcset", "style", "class", "hidden"],
  });

  addEventListener(
    "scroll",
    () => {
      changed++;
      replaceAll();
      scheduleScreen(150);
    },
    { passive: true },
  );
  addEventListener("resize", () => {
    changed++;
    replaceAll();
    scheduleScreen(150);
  }, { passive: true });
  for (const type of ["transitionend", "animationend", "load"]) addEventListener(type, () => scheduleScreen(50), true);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") scheduleScreen(0);
  });
  // What no DOM change shows (a canvas drawn over, CSSOM rules, timers): compared again every few seconds.
  let recheckTimer = null;
  const periodic = () => {
    if (recheckTimer) clearInterval(recheckTimer);
    recheckTimer = setInterval(() => {
      if (document.visibilityState === "visible") scheduleScreen(0);
    }, RECHECK_MS);
  };
  periodic();
  chrome.runtime.onMessage.addListener((message) => {
    if (message?.type === "recheck") scheduleScreen(0);
  });

  chrome.runtime
    .sendMessage({ type: "view" })
    .then((view) => {
      veilElements = view?.veilElements === true;
      if (Number.isFinite(view?.minSide)) MIN_SIDE = view.minSide;
      if (Number.isFinite(view?.recheckMs) && view.recheckMs >= 500) {
        RECHECK_MS = view.recheckMs;
        periodic();
      }
      if (veilElements) watchElements(document.documentElement);
    })
    .catch(() => {});
  scan(document.documentElement);
})();
