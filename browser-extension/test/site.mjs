// The local test site: two HTTP servers on 127.0.0.1 (the second serves a
// cross-origin image), pages built from the project's fixtures, and a log of
// every request either server receives.
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".jpg": "image/jpeg",
  ".png": "image/png",
  ".webp": "image/webp",
  ".mp4": "video/mp4",
  ".m4a": "audio/mp4",
};

export const HOSTILE_TITLE = `<img src=x onerror="document.title='pwned'"><script>document.title='pwned'</script>`;

/** Copy the images the pages show into `dir`; sign one with a hostile title with the CLI. */
export function makeImages(dir, root, hallmark) {
  const fx = (p) => path.join(root, "fixtures", p);
  const copies = {
    "trusted.jpg": "signed/newsroom.jpg",
    "unknown.jpg": "signed/stranger.jpg",
    "tampered.jpg": "attacks/pixel-flip.jpg",
    "ai.jpg": "signed/ai-generated.jpg",
    "unsigned.jpg": "images/sample.jpg",
    "lazy.jpg": "signed/edited.jpg",
    "added.png": "signed/newsroom.png",
    "picture.webp": "signed/newsroom.webp",
    "fallback.jpg": "images/other.jpg",
    "fake.jpg": "images/other.jpg",
    "cross.jpg": "signed/stranger.jpg",
    "tiny.jpg": "signed/newsroom.jpg",
    "hostile-signer.jpg": "attacks/hostile-signer.jpg",
    "hostile-title.jpg": "attacks/hostile-title.jpg",
    "stripped.jpg": "attacks/stripped.jpg",
  };
  for (const [name, from] of Object.entries(copies)) fs.copyFileSync(fx(from), path.join(dir, name));
  const sign = (from, to, ...more) =>
    execFileSync(hallmark, ["sign", fx(from), "-o", path.join(dir, to), "--identity", fx("keys/newsroom"), ...more], {
      env: { ...process.env, HALLMARK_CONFIG_DIR: "/nonexistent" },
      stdio: "pipe",
    });
  sign("images/other.jpg", "hostile.jpg", "--title", HOSTILE_TITLE);
  // A video signed by the newsroom, and a copy with one byte of its media data changed.
  sign("media/clip.mp4", "signed.mp4");
  const video = fs.readFileSync(path.join(dir, "signed.mp4"));
  const mdat = video.lastIndexOf(Buffer.from("mdat"));
  video[mdat + 64] ^= 0x01;
  fs.writeFileSync(path.join(dir, "tampered.mp4"), video);
  fs.copyFileSync(fx("media/tone.m4a"), path.join(dir, "tone.m4a"));
}

export function pages(crossOrigin, dataUrl, elsewhere) {
  const img = (src, extra = "") => `<img src="${src}" width="320" height="240" ${extra}>`;
  const index = `<!DOCTYPE html><html><head><title>Hallmark test site</title>
<style>body{margin:0;font:14px sans-serif} .row{display:flex;flex-wrap:wrap;gap:24px;padding:16px} figure{margin:0}</style></head>
<body><div class="row">
<figure id="trusted">${img("trusted.jpg")}</figure>
<figure id="unknown">${img("unknown.jpg")}</figure>
<figure id="tampered">${img("tampered.jpg")}</figure>
<figure id="ai">${img("ai.jpg")}</figure>
<figure id="unsigned">${img("unsigned.jpg")}</figure>
<figure id="picture"><picture><source srcset="picture.webp" type="image/webp">${img("fallback.jpg")}</picture></figure>
<figure id="cross">${img(`${crossOrigin}/cross.jpg`)}</figure>
<figure id="hostile">${img("hostile.jpg")}</figure>
<figure id="tiny"><img src="tiny.jpg" width="40" height="30"></figure>
<figure id="data">${img(dataUrl)}</figure>
</div>
<div style="height:3000px"></div>
<figure id="lazy">${img("lazy.jpg", 'loading="lazy"')}</figure>
<script>
  setTimeout(() => {
    const f = document.createElement("figure");
    f.id = "added";
    f.innerHTML = '<img src="added.png" width="320" height="240">';
    document.querySelector(".row").append(f);
  }, 300);
</script>
</body></html>`;
  // A page that tries to hide, restyle, reach into and forge badges by name.
  const hostile = `<!DOCTYPE html><html><head><title>Hostile page</title>
<style>
  hallmark-badge, html > :not(head):not(body) { display: none !important; opacity: 0 !important; transform: scale(0) !important; visibility: hidden !important; }
  .fake { position: absolute; left: 22px; top: 22px; background: #1e7d34; color: #fff; padding: 3px 8px; border-radius: 12px; font: bold 12px sans-serif; }
</style></head>
<body style="margin:16px">
<div style="position:relative"><img id="t" src="tampered.jpg" width="320" height="240"><span class="fake">✔ Trusted by Everyone</span></div>
<script>
  // Try to reach into, and restyle once, whatever the extension adds; no fight to the death.
  setTimeout(() => {
    for (const b of document.querySelectorAll("html > :not(head):not(body)")) {
      if (b.shadowRoot) document.title = "shadow root exposed";
      b.style.setProperty("display", "none", "important");
      b.style.setProperty("left", "-9999px", "important");
      b.setAttribute("hidden", "");
    }
  }, 1500);
</script>
</body></html>`;
  // A page that removes every element added to it, again and again.
  const remover = `<!DOCTYPE html><html><head><title>Remover page</title></head>
<body style="margin:16px"><img id="t" src="unsigned.jpg" width="320" height="240">
<script>
  new MutationObserver(() => {
    for (const n of [...document.documentElement.children]) if (n !== document.head && n !== document.body) n.remove();
  }).observe(document.documentElement, { childList: true });
</script>
</body></html>`;
  // The attack corpus's hostile text: a certificate subject and titles full of
  // markup, terminal escapes, a right-to-left override and NUL.
  const attacks = `<!DOCTYPE html><html><head><title>Attack fixtures</title></head>
<body style="margin:16px"><div style="display:flex;gap:24px">
<figure id="signer">${img("hostile-signer.jpg")}</figure>
<figure id="titled">${img("hostile-title.jpg")}</figure>
</div></body></html>`;
  // A page that sets a cookie and shows an image behind a redirect to another
  // host (127.0.0.2) and one that no cache may keep (so the extension fetches it).
  const leaky = `<!DOCTYPE html><html><head><title>Leaky page</title></head>
<body style="margin:16px"><div style="display:flex;gap:24px">
<figure id="moved">${img(`/redirect/trusted.jpg?to=${encodeURIComponent(`${elsewhere}/trusted.jpg`)}`)}</figure>
<figure id="fresh">${img("/fresh/trusted.jpg")}</figure>
</div></body></html>`;
  // A page's tricks to put a fake under a trusted badge: each figure shows
  // fake.jpg (another picture) where a trusted image's box is.
  const box = 'style="position:relative;width:320px;height:240px"';
  const over = "position:absolute;left:0;top:0;width:320px;height:240px";
  const screen = `<!DOCTYPE html><html><head><title>Screen tricks</title>
<style>body{margin:0;font:14px sans-serif} .row{display:flex;flex-wrap:wrap;gap:24px;padding:16px} figure{margin:0}
  #late .cover { opacity: 0; }</style></head>
<body><div class="row">
<figure id="honest">${img("trusted.jpg")}</figure>
<figure id="opacity"><div ${box}><div style="${over};background:url(fake.jpg) 0 0/320px 240px"></div>${img("trusted.jpg", 'style="position:relative;opacity:0"')}</div></figure>
<figure id="overlay"><div ${box}>${img("trusted.jpg")}<div style="${over};background:url(fake.jpg) 0 0/320px 240px;pointer-events:none"></div></div></figure>
<figure id="content">${img("trusted.jpg", 'style="content:url(fake.jpg)"')}</figure>
<figure id="twofaced">${img("/twofaced/trusted.jpg")}</figure>
<figure id="cover"><div style="width:200px;height:200px;overflow:hidden;border-radius:16px"><img src="trusted.jpg" style="width:200px;height:200px;object-fit:cover;display:block"></div></figure>
<figure id="late"><div ${box}>${img("trusted.jpg")}<div class="cover" style="${over};background:url(fake.jpg) 0 0/320px 240px;pointer-events:none"></div></div></figure>
</div>
<script>
  // No DOM change: a CSSOM rule makes the overlay opaque 2 s after load.
  addEventListener("load", () => setTimeout(() => document.styleSheets[0].insertRule("#late .cover { opacity: 1 !important; }", 0), 2000));
</script>
</body></html>`;
  // Media the extension can't check: a canvas, a blob: image, a CSS background.
  const media = `<!DOCTYPE html><html><head><title>Uncheckable media</title></head>
<body style="margin:16px"><div style="display:flex;gap:24px;flex-wrap:wrap">
<figure id="canvas"><canvas width="320" height="240"></canvas></figure>
<figure id="blob"><img width="320" height="240"></figure>
<figure id="background"><div style="width:320px;height:240px;background:url(unsigned.jpg) 0 0/cover"></div></figure>
<figure id="trusted">${img("trusted.jpg")}</figure>
<figure id="unknown">${img("unknown.jpg")}</figure>
<figure id="moved">${img(`/redirect/trusted.jpg?to=${encodeURIComponent(`${elsewhere}/trusted.jpg`)}`)}</figure>
</div>
<script>
  const c = document.querySelector("canvas").getContext("2d");
  c.fillStyle = "#c33"; c.fillRect(0, 0, 320, 240);
  fetch("unsigned.jpg").then((r) => r.blob()).then((b) => { document.querySelector("#blob img").src = URL.createObjectURL(b); });
</script>
</body></html>`;
  // Video and audio: a file the newsroom signed, the same file tampered, an
  // unsigned audio file, and a video the page streams from a blob: URL.
  const video = `<!DOCTYPE html><html><head><title>Video and audio</title></head>
<body style="margin:16px"><div style="display:flex;gap:24px;flex-wrap:wrap">
<figure id="signed"><video src="signed.mp4" width="320" height="240" muted preload="metadata"></video></figure>
<figure id="tampered"><video src="tampered.mp4" width="320" height="240" muted preload="metadata"></video></figure>
<figure id="audio"><audio src="tone.m4a" controls preload="metadata" style="width:320px"></audio></figure>
<figure id="streamed"><video width="320" height="240" muted></video></figure>
</div>
<script>
  fetch("signed.mp4").then((r) => r.blob()).then((b) => { document.querySelector("#streamed video").src = URL.createObjectURL(b); });
</script>
</body></html>`;
  // A copy of a registered image with its credentials stripped, and an unrelated picture.
  const recovered = `<!DOCTYPE html><html><head><title>Stripped copies</title></head><body>
<figure id="stripped">${img("stripped.jpg")}</figure>
<figure id="fake">${img("fake.jpg")}</figure>
</body></html>`;
  return { "/recovered.html": recovered, "/video.html": video, "/screen.html": screen, "/media.html": media, "/index.html": index, "/hostile.html": hostile, "/remover.html": remover, "/attacks.html": attacks, "/leaky.html": leaky };
}

/** Start a server on `host` serving `pages` and the files of `dir`; records
 * every request: host, port, path and headers. `/redirect/NAME?to=URL`
 * redirects; `/fresh/NAME` serves a file no cache may keep; `/leaky.html`
 * sets a cookie. */
export function serve(dir, getPages, log, host = "127.0.0.1") {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, `http://${host}`);
    log.push({ host, port: server.address().port, path: url.pathname, headers: req.headers });
    const page = getPages()[url.pathname];
    if (page) {
      const headers = { "content-type": TYPES[".html"], "cache-control": "no-store" };
      if (url.pathname === "/leaky.html") headers["set-cookie"] = "hallmark_test=secret; Path=/";
      res.writeHead(200, headers);
      return res.end(page);
    }
    if (url.pathname.startsWith("/redirect/")) {
      res.writeHead(302, { location: url.searchParams.get("to"), "cache-control": "no-store" });
      return res.end();
    }
    if (url.pathname.startsWith("/twofaced/")) {
      // Two-faced: the genuine file to a fetch() (the extension), the fake to an <img> (the page).
      const asImage = req.headers["sec-fetch-dest"] === "image";
      const file = path.join(dir, asImage ? "fake.jpg" : path.basename(url.pathname));
      res.writeHead(200, { "content-type": TYPES[".jpg"], "cache-control": "no-store" });
      return res.end(fs.readFileSync(file));
    }
    const fresh = url.pathname.startsWith("/fresh/");
    if (fresh) {
      const file = path.join(dir, path.basename(url.pathname));
      res.writeHead(200, { "content-type": TYPES[path.extname(file)], "cache-control": "no-store" });
      return res.end(fs.readFileSync(file));
    }
    const file = path.join(dir, path.basename(url.pathname));
    if (url.pathname.split("/").length === 2 && fs.existsSync(file)) {
      res.writeHead(200, {
        "content-type": TYPES[path.extname(file)] ?? "application/octet-stream",
        "cache-control": "max-age=3600",
        "access-control-allow-origin": "*",
      });
      return res.end(fs.readFileSync(file));
    }
    res.writeHead(404);
    res.end();
  });
  return new Promise((resolve) => server.listen(0, host, () => resolve(server)));
}
