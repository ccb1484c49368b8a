#!/usr/bin/env python3
"""A local RFC 3161 time-stamp authority for tests and the tour: OpenSSL's
`openssl ts -reply` behind a small HTTP server on 127.0.0.1, independent of
Hallmark's code.

    scripts/test_tsa.py DIR [--port N]

makes (once) in DIR a TSA root (`DIR/tsa-root.pem`, Ed25519) and a TSA
certificate it issues (P-256, extendedKeyUsage critical timeStamping), and a
second, unrelated root and TSA (`DIR/rogue-root.pem`), then serves until
killed, printing `listening on http://127.0.0.1:PORT/` once ready. Paths:

    /                 a proper reply
    /garbage          200 with HTML, not a TimeStampResp
    /rejected         a TimeStampResp with status rejection (2)
    /http-500         HTTP 500
    /wrong-nonce      a proper reply to another request (same data, other nonce)
    /wrong-imprint    a proper reply for other data (the request's nonce kept out)
    /untrusted        a proper reply from the unrelated root's TSA
    /no-eku           a proper reply whose TSA certificate is swapped for one
                      with the same key and size but extendedKeyUsage
                      codeSigning (both issued by the TSA root)
"""
import argparse
import hashlib
import http.server
import os
import subprocess
import sys
import tempfile
import threading

OPENSSL = "openssl"
# `openssl ts -reply` reads and rewrites the authority's serial file: two at
# once can collide, and OpenSSL then answers with status rejection ("Error
# during serial number generation"). Replies are made one at a time.
REPLY_LOCK = threading.Lock()


def run(*args, cwd):
    subprocess.run([OPENSSL, *args], cwd=cwd, check=True, capture_output=True)


def make_authority(d, name, root_cn):
    """A root (Ed25519: fixed-size signatures) and a TSA it issues, in d/name-*."""
    if os.path.exists(os.path.join(d, f"{name}-tsa.pem")):
        return
    run("genpkey", "-algorithm", "ed25519", "-out", f"{name}-root.key", cwd=d)
    run("req", "-x509", "-key", f"{name}-root.key", "-out", f"{name}-root.pem", "-days", "7300",
        "-subj", f"/CN={root_cn}/O=Hallmark test TSA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", f"{name}-tsa.key", cwd=d)
    run("req", "-new", "-key", f"{name}-tsa.key", "-out", f"{name}-tsa.csr",
        "-subj", f"/CN={root_cn} time-stamping/O=Hallmark test TSA", cwd=d)
    for eku, out in (("timeStamping", f"{name}-tsa.pem"), ("codeSigning", f"{name}-noeku.pem")):
        with open(os.path.join(d, f"{name}-{eku}.cnf"), "w") as f:
            f.write("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                    f"extendedKeyUsage=critical,{eku}\nsubjectKeyIdentifier=hash\n"
                    "authorityKeyIdentifier=keyid,issuer\n")
        run("x509", "-req", "-in", f"{name}-tsa.csr", "-CA", f"{name}-root.pem", "-CAkey", f"{name}-root.key",
            "-set_serial", "0x7157", "-days", "3650", "-extfile", f"{name}-{eku}.cnf", "-out", out, cwd=d)
    with open(os.path.join(d, f"{name}-serial"), "w") as f:
        f.write("01\n")
    with open(os.path.join(d, f"{name}.cnf"), "w") as f:
        f.write(f"[tsa]\ndefault_tsa = t\n[t]\nserial = {d}/{name}-serial\n"
                f"signer_cert = {d}/{name}-tsa.pem\ncerts = {d}/{name}-root.pem\nsigner_key = {d}/{name}-tsa.key\n"
                "signer_digest = sha256\ndefault_policy = 1.3.6.1.4.1.99999.16\ndigests = sha256, sha384, sha512\n"
                "accuracy = secs:1\nordering = no\ntsa_name = no\ness_cert_id_chain = no\ness_cert_id_alg = sha256\n")


def der_cert(pem_path):
    return subprocess.run([OPENSSL, "x509", "-in", pem_path, "-outform", "DER"], check=True,
                          capture_output=True).stdout


def imprint(query):
    """The hashed message of a SHA-256 TimeStampReq (the 32 octets after 04 20)."""
    at = query.find(b"\x04\x20")
    return query[at + 2: at + 34]


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "hallmark-test-tsa"

    def log_message(self, *args):  # quiet
        pass

    def reply(self, name, query):
        d = self.server.dir
        with tempfile.TemporaryDirectory() as t:
            q = os.path.join(t, "q.der")
            with open(q, "wb") as f:
                f.write(query)
            out = os.path.join(t, "r.der")
            with REPLY_LOCK:
                run("ts", "-reply", "-config", os.path.join(d, f"{name}.cnf"), "-queryfile", q, "-out", out, cwd=t)
            with open(out, "rb") as f:
                return f.read()

    def other_query(self, digest):
        with tempfile.TemporaryDirectory() as t:
            out = os.path.join(t, "q.der")
            run("ts", "-query", "-digest", digest.hex(), "-sha256", "-cert", "-out", out, cwd=t)
            with open(out, "rb") as f:
                return f.read()

    def send(self, status, body, content_type="application/timestamp-reply"):
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = min(int(self.headers.get("content-length", "0")), 65536)
        query = self.rfile.read(length)
        path = self.path.rstrip("/") or "/"
        try:
            if path == "/garbage":
                return self.send(200, b"<html>not a time-stamp</html>", "text/html")
            if path == "/http-500":
                return self.send(500, b"busy", "text/plain")
            if path == "/rejected":
                return self.send(200, bytes.fromhex("3005" "3003" "020102"))
            if path == "/wrong-nonce":
                return self.send(200, self.reply("tsa", self.other_query(imprint(query))))
            if path == "/wrong-imprint":
                other = hashlib.sha256(b"some other signature").digest()
                return self.send(200, self.reply("tsa", self.other_query(other)))
            if path == "/untrusted":
                return self.send(200, self.reply("rogue", query))
            if path == "/no-eku":
                good = der_cert(os.path.join(self.server.dir, "tsa-tsa.pem"))
                bad = der_cert(os.path.join(self.server.dir, "tsa-noeku.pem"))
                assert len(good) == len(bad)
                return self.send(200, self.reply("tsa", query).replace(good, bad))
            return self.send(200, self.reply("tsa", query))
        except Exception as e:  # a test TSA: say what broke
            return self.send(500, str(e).encode(), "text/plain")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--exit-with-stdin", action="store_true", help="exit when stdin closes (for test harnesses)")
    args = ap.parse_args()
    d = os.path.abspath(args.dir)
    os.makedirs(d, exist_ok=True)
    make_authority(d, "tsa", "Hallmark Test TSA Root")
    make_authority(d, "rogue", "Unrelated TSA Root")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.dir = d
    print(f"listening on http://127.0.0.1:{server.server_address[1]}/", flush=True)
    if args.exit_with_stdin:
        # A test harness's child: gone when the harness is (its end of stdin closes).
        def watch():
            sys.stdin.buffer.read()
            os._exit(0)
        threading.Thread(target=watch, daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
