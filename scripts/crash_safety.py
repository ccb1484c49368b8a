#!/usr/bin/env python3
"""Kill `hallmark sign --in-place` with SIGKILL at random moments (a JPEG,
signed in memory, and an MP4, signed in place through streams) and check
that the file is never damaged: after every kill it is byte for byte either
the original or a complete signed file that verifies (`valid`), and no
partial file sits at its path.

Then kill `hallmark renew` the same way: after every kill the identity is
whole (its `signing.key` and `chain.pem` are one generation's, it signs, and
what it signs is trusted under the unchanged `root.pem`), either the old
generation or the new one.

    python3 scripts/crash_safety.py [--hallmark target/release/hallmark] [--runs 100] [--seed 1]

Prints how many kills landed before the rename (original intact) and after
it (signed file complete). Exit 1 on the first damaged file.
"""
import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hallmark", default=str(ROOT / "target/release/hallmark"))
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    env = dict(os.environ, HALLMARK_CONFIG_DIR="/nonexistent/hallmark-crash-test")
    env.pop("HALLMARK_PASSPHRASE", None)
    original = (ROOT / "fixtures/images/sample.jpg").read_bytes()
    sign_runs(args, env, rng, original, "photo.jpg", args.runs)
    # A video is signed in place through c2pa's streams (never held whole).
    sign_runs(args, env, rng, (ROOT / "fixtures/media/clip.mp4").read_bytes(), "clip.mp4", max(args.runs // 2, 1))
    renew_runs(args, env, rng, original)


def sign_runs(args, env, rng, original, name, runs):
    identity = ROOT / "fixtures/keys/newsroom"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        target = tmp / name
        # How long a whole signing takes (the slowest of three, as the machine is shared),
        # to spread the kills over it and past its end.
        whole = 0.0
        for _ in range(3):
            target.write_bytes(original)
            start = time.perf_counter()
            subprocess.run([args.hallmark, "sign", str(target), "--in-place", "--identity", str(identity)],
                           env=env, check=True, capture_output=True)
            whole = max(whole, time.perf_counter() - start)
        counts = {"original": 0, "signed": 0, "finished": 0}
        for i in range(runs):
            target.write_bytes(original)
            delay = rng.uniform(0, whole * 1.5)
            proc = subprocess.Popen([args.hallmark, "sign", str(target), "--in-place", "--identity", str(identity)],
                                    env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
            rc = proc.wait()
            now = target.read_bytes()
            if now == original:
                counts["original"] += 1
            else:
                out = subprocess.run([args.hallmark, "verify", "--json", str(target)], env=env,
                                     capture_output=True, text=True)
                report = json.loads(out.stdout)
                if report["verdict"] != "valid":
                    print(f"run {i}: killed after {delay * 1000:.0f} ms: the file is {report['verdict']}: "
                          f"{report['summary']}", file=sys.stderr)
                    shutil.copy(target, ROOT / f"target/crash-safety-damaged-{name}")
                    sys.exit(1)
                counts["signed" if rc == -signal.SIGKILL else "finished"] += 1
            # Leftover temporary files are allowed (a killed process can't clean up); they never replace the file.
        leftovers = [p.name for p in tmp.iterdir() if p.name != name]
    # Both sides must have been exercised, or the check proved nothing.
    if counts["original"] == 0 or counts["signed"] + counts["finished"] == 0:
        print(f"every kill landed on the same side ({counts}): the check is vacuous; rerun", file=sys.stderr)
        sys.exit(1)
    print(f"{name}: {runs} kills spread over 0 to 1.5 times a signing ({whole * 1000:.0f} ms): original intact {counts['original']}, "
          f"signed and complete {counts['signed']}, finished before the kill {counts['finished']}; "
          f"damaged 0; temporary files left by killed runs: {len(leftovers)}")


def renew_runs(args, env, rng, original):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ident = tmp / "id"
        subprocess.run([args.hallmark, "keygen", "--name", "Crash Test", "--org", "Hallmark", "--out", str(ident),
                        "--no-passphrase"], env=env, check=True, capture_output=True)
        root = (ident / "root.pem").read_bytes()
        photo = tmp / "photo.jpg"
        photo.write_bytes(original)
        whole = 0.0
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run([args.hallmark, "renew", "--identity", str(ident)], env=env, check=True, capture_output=True)
            whole = max(whole, time.perf_counter() - start)
        counts = {"old": 0, "new": 0}
        for i in range(args.runs):
            before = os.readlink(ident / "current")
            delay = rng.uniform(0, whole * 1.5)
            proc = subprocess.Popen([args.hallmark, "renew", "--identity", str(ident)], env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            after = os.readlink(ident / "current")
            counts["old" if after == before else "new"] += 1
            signed = tmp / "signed.jpg"
            out = subprocess.run([args.hallmark, "sign", str(photo), "-o", str(signed), "--force", "--identity", str(ident)],
                                 env=env, capture_output=True, text=True)
            report = {}
            if out.returncode == 0:
                check = subprocess.run([args.hallmark, "verify", "--json", "--trust", str(ident / "root.pem"), str(signed)],
                                       env=env, capture_output=True, text=True)
                report = json.loads(check.stdout)
            if out.returncode != 0 or report.get("verdict") != "trusted" or (ident / "root.pem").read_bytes() != root:
                print(f"renew run {i}: killed after {delay * 1000:.0f} ms: the identity is broken: "
                      f"{out.stderr.strip()} {report.get('summary')}", file=sys.stderr)
                shutil.copytree(ident, ROOT / "target/crash-safety-identity", dirs_exist_ok=True)
                sys.exit(1)
    if counts["old"] == 0 or counts["new"] == 0:
        print(f"every renew kill landed on the same side ({counts}): the check is vacuous; rerun", file=sys.stderr)
        sys.exit(1)
    print(f"{args.runs} renew kills spread over 0 to 1.5 times a renewal ({whole * 1000:.0f} ms): old generation current "
          f"{counts['old']}, new generation current {counts['new']}; broken identities 0; root.pem unchanged")


if __name__ == "__main__":
    main()
