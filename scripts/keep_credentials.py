#!/usr/bin/env python3
"""What a forger does to keep a signed video's credentials on an edited copy:
copy the C2PA manifest store box (a top-level `uuid` box) of SIGNED onto the
end of EDITED (where no sample offset moves), writing OUT.

    python3 scripts/keep_credentials.py SIGNED.mp4 EDITED.mp4 OUT.mp4

The demo uses it to show `verify` naming the seconds that changed.
"""
import struct
import sys

C2PA_UUID = bytes.fromhex("d8fec3d61b0e483c92975828877ec481")


def c2pa_box(data: bytes) -> bytes:
    at = 0
    while at + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[at:at + 8])
        header = 8
        if size == 1:
            size = struct.unpack(">Q", data[at + 8:at + 16])[0]
            header = 16
        elif size == 0:
            size = len(data) - at
        if size < header:
            break
        if kind == b"uuid" and data[at + header:at + header + 16] == C2PA_UUID:
            return data[at:at + size]
        at += size
    sys.exit("keep_credentials: no C2PA manifest store in the signed file")


def main() -> None:
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    signed, edited, out = sys.argv[1:]
    with open(signed, "rb") as f:
        box = c2pa_box(f.read())
    with open(edited, "rb") as f:
        data = f.read()
    with open(out, "wb") as f:
        f.write(data + box)


if __name__ == "__main__":
    main()
