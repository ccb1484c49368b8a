#!/usr/bin/env python3
"""Open `hallmark scan --format html` in headless Chromium, as an editor would.

Makes an inbox of the project's fixtures (signed, tampered, invalid,
unsigned), writes the HTML report, then has Chromium (Debian's, never a
download) parse it and take a screenshot. Checks:
  - the DOM Chromium built has one card per file, with the verdicts
    `hallmark scan --format jsonl` gives, failing files first;
  - every thumbnail decoded (naturalWidth > 0 is not visible without script,
    so the screenshot is checked instead): the badge colours of the verdicts
    present are on screen, and the page is not blank.
The screenshot is kept in target/test-artifacts/scan-report.png.

    python3 tests/browser/scan_report.py --hallmark target/debug/hallmark
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
# Badge colours in the report's stylesheet, by verdict.
COLOURS = {
    "trusted": (0x1E, 0x7D, 0x34),
    "valid": (0x25, 0x63, 0xEB),
    "tampered": (0xB4, 0x23, 0x18),
    "invalid": (0xC2, 0x41, 0x0C),
    "unsigned": (0x6B, 0x72, 0x80),
}


class Cards(HTMLParser):
    """The cards of a DOM dump: data-verdict, data-pass, whether it has an <img>."""

    def __init__(self):
        super().__init__()
        self.cards = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if tag == "article":
            self.cards.append({"verdict": a.get("data-verdict"), "pass": a.get("data-pass"), "img": False})
        if tag == "img" and self.cards and (a.get("src") or "").startswith("data:image/jpeg;base64,"):
            self.cards[-1]["img"] = True


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hallmark", default=str(ROOT / "target/debug/hallmark"))
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    args = ap.parse_args()
    if not Path(args.chromium).exists():
        fail(f"{args.chromium} not found: run scripts/setup.sh --tests (apt-get install chromium)")
    artifacts = ROOT / "target/test-artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        inbox = tmp / "inbox"
        inbox.mkdir()
        for f in (FIXTURES / "signed").iterdir():
            shutil.copy(f, inbox / f.name)
        for name in ["pixel-flip.jpg", "stripped.jpg", "signature-flip.jpg", "self-signed-nikon.jpg", "truncated.jpg"]:
            shutil.copy(FIXTURES / "attacks" / name, inbox / name)
        env = dict(os.environ, HALLMARK_CONFIG_DIR=str(tmp / "config"), HALLMARK_CACHE_DIR=str(tmp / "cache"))
        trust = ["--trust", str(FIXTURES / "keys/newsroom/root.pem")]
        report = tmp / "report.html"
        run = subprocess.run([args.hallmark, "scan", str(inbox), *trust, "--format", "html", "-o", str(report)],
                             env=env, capture_output=True, text=True)
        if run.returncode != 3:
            fail(f"scan exit {run.returncode}, expected 3 (tampered files):\n{run.stderr}")
        jsonl = subprocess.run([args.hallmark, "scan", str(inbox), *trust, "--format", "jsonl", "--no-cache"],
                               env=env, capture_output=True, text=True)
        expected = sorted(json.loads(l)["verdict"] for l in jsonl.stdout.splitlines())
        shutil.copy(report, artifacts / "scan-report.html")

        url = report.as_uri()
        dom = subprocess.run([args.chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp / 'profile-dom'}",
                              "--dump-dom", url], capture_output=True, text=True, timeout=120)
        if dom.returncode != 0 or "<article" not in dom.stdout:
            fail(f"chromium --dump-dom failed ({dom.returncode}):\n{dom.stderr[-2000:]}")
        parsed = Cards()
        parsed.feed(dom.stdout)
        cards = parsed.cards
        got = sorted(c["verdict"] for c in cards)
        if got != expected:
            fail(f"verdicts in the page {got} != scan --format jsonl {expected}")
        passes = [c["pass"] for c in cards]
        if passes != sorted(passes):  # "false" sorts before "true": failures first
            fail(f"failing files are not first: {passes}")
        if parsed.scripts:
            fail("the report has a <script>")
        no_thumb = [c for c in cards if not c["img"]]
        if len(no_thumb) != 1 or no_thumb[0]["verdict"] != "tampered":
            fail(f"every picture but the truncated one has a thumbnail: {no_thumb}")

        shot = artifacts / "scan-report.png"
        if shot.exists():
            shot.unlink()
        run = subprocess.run([args.chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp / 'profile-shot'}",
                              "--window-size=1280,1400", f"--screenshot={shot}", url],
                             capture_output=True, text=True, timeout=120)
        if not shot.exists():
            fail(f"no screenshot ({run.returncode}):\n{run.stderr[-2000:]}")

    image = Image.open(shot).convert("RGB")
    colours = {}
    for count, rgb in image.getcolors(maxcolors=1 << 22):
        colours[rgb] = colours.get(rgb, 0) + count
    for verdict in set(expected):
        n = colours.get(COLOURS[verdict], 0)
        if n < 200:
            fail(f"the {verdict} badge colour {COLOURS[verdict]} is on screen in {n} pixels only")
    # Ten thumbnails of colourful photos put ~57,000 saturated pixels on screen;
    # the same page without them ~8,000 (text antialiasing, the purple AI tag).
    saturated = sum(n for rgb, n in colours.items()
                    if rgb not in COLOURS.values() and max(rgb) - min(rgb) > 60)
    if saturated < 30000 or len(colours) < 6000:
        fail(f"{saturated} saturated pixels, {len(colours)} colours on screen: thumbnails not drawn?")
    print(f"ok: {len(cards)} cards, verdicts {dict((v, expected.count(v)) for v in set(expected))}, "
          f"{saturated} saturated pixels on screen; screenshot {shot.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
