#!/usr/bin/env python3
"""Writes a corpus of hostile archives for the agent's unpacking tests.

Usage: hostile_archives.py OUTPUT_DIR OUTSIDE_DIR

OUTSIDE_DIR is a directory the archives aim at with absolute names and links; nothing may ever appear in
it. Writes each archive into OUTPUT_DIR and OUTPUT_DIR/manifest.json: a list of
{"name", "file", "expect"}, where "expect" is a piece of the message that refusing the archive must give.
"""
import io
import json
import os
import struct
import sys
import tarfile
import zipfile
import zlib

out, outside = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
manifest = []


def tar_archive(name, entries, expect, mode="w:gz"):
    """entries: (TarInfo, bytes or None) pairs."""
    path = os.path.join(out, name)
    with tarfile.open(path, mode, format=tarfile.GNU_FORMAT) as archive:
        for info, data in entries:
            if data is not None:
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
            else:
                archive.addfile(info)
    manifest.append({"name": name, "file": name, "expect": expect})
    return path


def entry(name, kind=tarfile.REGTYPE, link="", mode=0o644):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    info.mode = mode
    return info


def raw(name, data, expect):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
    manifest.append({"name": name, "file": name, "expect": expect})


def zip_bytes(files, compress=zipfile.ZIP_DEFLATED):
    """files: (ZipInfo or name, bytes) pairs."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info, data in files:
            archive.writestr(info, data, compress_type=compress)
    return buffer.getvalue()


def gzip_tar(entries):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.GNU_FORMAT) as archive:
        for info, data in entries:
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def symlink_info(name, target):
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (0o120777 << 16)
    return info, target.encode()


# The chain that once wrote above the install directory: x -> ., x/y -> .., then x/y/f.
tar_archive("symlink-chain.tar.gz", [
    (entry("x", tarfile.SYMTYPE, "."), None),
    (entry("x/y", tarfile.SYMTYPE, ".."), None),
    (entry("x/y/f"), b"escaped\n"),
], "x is a symbolic link")
# Deeper: each link climbs one more level through the previous one.
tar_archive("symlink-chain-deeper.tar.gz", [
    (entry("a", tarfile.SYMTYPE, "."), None),
    (entry("a/b", tarfile.SYMTYPE, "."), None),
    (entry("a/b/c", tarfile.SYMTYPE, "../.."), None),
    (entry("a/b/c/d", tarfile.SYMTYPE, "../../.."), None),
    (entry("a/b/c/d/f"), b"escaped\n"),
], "a is a symbolic link")
# Links that each stay inside when read alone, but lead outside together: s resolves to the root, t to
# the root's parent.
tar_archive("symlink-combined.tar.gz", [
    (entry("d1/d2", tarfile.DIRTYPE, mode=0o755), None),
    (entry("d1/d2/s", tarfile.SYMTYPE, "../.."), None),
    (entry("t", tarfile.SYMTYPE, "d1/d2/s/.."), None),
], "points outside the install directory")
# The same, with the link into the parent made last, after a harmless one.
tar_archive("symlink-combined-late.tar.gz", [
    (entry("t", tarfile.SYMTYPE, "d1/d2/s/.."), None),
    (entry("d1/d2", tarfile.DIRTYPE, mode=0o755), None),
    (entry("d1/d2/s", tarfile.SYMTYPE, "../.."), None),
], "points outside the install directory")
tar_archive("symlink-out.tar.gz", [(entry("out", tarfile.SYMTYPE, "../../.."), None)], "points outside the install directory")
tar_archive("symlink-absolute.tar.gz", [(entry("out", tarfile.SYMTYPE, outside), None)], "points to an absolute path")
tar_archive("symlink-loop.tar.gz", [
    (entry("l1", tarfile.SYMTYPE, "l2/x"), None),
    (entry("l2", tarfile.SYMTYPE, "l1/y"), None),
], "loop of links")
# A file written through a link to a directory inside the archive is refused too: links are never followed.
tar_archive("symlink-inside-then-through.tar.gz", [
    (entry("real", tarfile.DIRTYPE, mode=0o755), None),
    (entry("alias", tarfile.SYMTYPE, "real"), None),
    (entry("alias/f"), b"through a link\n"),
], "alias is a symbolic link")

# Hard links may name only what the archive put inside.
tar_archive("hardlink-out.tar.gz", [(entry("h", tarfile.LNKTYPE, "../../../etc/passwd"), None)], "may only name an entry inside")
tar_archive("hardlink-absolute.tar.gz", [(entry("h", tarfile.LNKTYPE, "/etc/passwd"), None)], "may only name an entry inside")
tar_archive("hardlink-through-link.tar.gz", [
    (entry("up", tarfile.SYMTYPE, "."), None),
    (entry("h", tarfile.LNKTYPE, "up/secret"), None),
], "up is a symbolic link")
tar_archive("hardlink-missing.tar.gz", [(entry("h", tarfile.LNKTYPE, "nothing-here"), None)], "is not in the archive before it")
# A hard link to a link inside carries that link elsewhere: from the root, "../x" leaves.
tar_archive("hardlink-moves-symlink.tar.gz", [
    (entry("d", tarfile.DIRTYPE, mode=0o755), None),
    (entry("d/s", tarfile.SYMTYPE, "../x"), None),
    (entry("h", tarfile.LNKTYPE, "d/s"), None),
], "points outside the install directory")

# Devices and pipes.
tar_archive("char-device.tar.gz", [(entry("dev/null", tarfile.CHRTYPE), None)], "a character device")
tar_archive("block-device.tar.gz", [(entry("dev/sda", tarfile.BLKTYPE), None)], "a block device")
tar_archive("fifo.tar.gz", [(entry("pipe", tarfile.FIFOTYPE), None)], "a FIFO")

# Names.
tar_archive("dotdot-middle.tar.gz", [(entry("a/b/../../../evil"), b"x")], "climbs out")
tar_archive("dotdot-start.tar.gz", [(entry("../evil"), b"x")], "climbs out")
tar_archive("absolute-name.tar.gz", [(entry(os.path.join(outside, "evil")), b"x")], "absolute path")
tar_archive("long-name-dotdot.tar.gz", [(entry("deep/" * 30 + "../" * 32 + "evil"), b"x")], "climbs out")
pax = tarfile.TarInfo("harmless")
pax.pax_headers = {"path": "../pax-evil"}
with tarfile.open(os.path.join(out, "pax-dotdot.tar.gz"), "w:gz", format=tarfile.PAX_FORMAT) as archive:
    pax.size = 1
    archive.addfile(pax, io.BytesIO(b"x"))
manifest.append({"name": "pax-dotdot.tar.gz", "file": "pax-dotdot.tar.gz", "expect": "climbs out"})

# Sizes: a header that declares a terabyte, with a few bytes behind it.
huge = entry("huge.bin")
huge.size = 1 << 40
header = huge.tobuf(format=tarfile.GNU_FORMAT)
raw("huge-declared.tar", header + b"x" * 512 + b"\0" * 1024, "declares 1099511627776 bytes")
# Decompression bombs: a small archive of zeros that would unpack to far more than its size allows.
bomb = b"\0" * (80 << 20)
buffer = io.BytesIO()
with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=9) as archive:
    info = entry("zeros.bin")
    info.size = len(bomb)
    archive.addfile(info, io.BytesIO(bomb))
raw("bomb.tar.gz", buffer.getvalue(), "declares 83886080 bytes")
raw("bomb.zip", zip_bytes([("zeros.bin", bomb)]), "declares more than")
# A zip whose header understates the size: caught when the content goes past it.
lying = bytearray(zip_bytes([("zeros.bin", b"\0" * (1 << 20))]))
central = lying.rfind(b"PK\x01\x02")
lying[central + 24:central + 28] = struct.pack("<I", 1000)
local = lying.find(b"PK\x03\x04")
lying[local + 22:local + 26] = struct.pack("<I", 1000)
raw("understated-size.zip", bytes(lying), "more than its declared 1000 bytes")
# Entries that share their data (the overlapping-files bomb).
shared = bytearray(zip_bytes([("a.bin", b"\0" * 1000), ("b.bin", b"\0" * 1000)]))
first_central = shared.find(b"PK\x01\x02")
second_central = shared.find(b"PK\x01\x02", first_central + 4)
shared[second_central + 42:second_central + 46] = shared[first_central + 42:first_central + 46]
raw("overlapping.zip", bytes(shared), "overlaps")

# Damaged streams.
payload = [(entry("data/%d.bin" % i), os.urandom(40_000)) for i in range(6)]
good = gzip_tar(payload)
raw("truncated.tar.gz", good[: len(good) * 2 // 3], "truncated")
bad_crc = bytearray(good)
bad_crc[-8] ^= 0xFF
raw("bad-gzip-crc.tar.gz", bytes(bad_crc), "incorrect data check")
bad_size = bytearray(good)
bad_size[-1] ^= 0x01
raw("bad-gzip-isize.tar.gz", bytes(bad_size), "incorrect length check")
# Cut right after the tar's end-of-archive marker would be: the gzip trailer is missing.
raw("gzip-no-trailer.tar.gz", good[:-8], "truncated")
plain = io.BytesIO()
with tarfile.open(fileobj=plain, mode="w") as archive:
    for info, data in payload[:2]:
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
raw("truncated.tar", plain.getvalue()[:50_000], "truncated")
raw("no-end-marker.tar", plain.getvalue()[: 2 * (512 + 40_448)], "end-of-archive marker")
stored = bytearray(zip_bytes([("data.bin", os.urandom(10_000))], compress=zipfile.ZIP_STORED))
stored[stored.find(b"PK\x03\x04") + 30 + len("data.bin") + 100] ^= 0xFF
raw("zip-crc-mismatch.zip", bytes(stored), "fails its CRC-32 check")
deflated = bytearray(zip_bytes([("text.txt", b"hello world, " * 5000)]))
start = deflated.find(b"PK\x03\x04") + 30 + len("text.txt")
for offset in range(20, 60):
    deflated[start + offset] ^= 0x55
raw("zip-corrupt-deflate.zip", bytes(deflated), "text.txt")
whole = zip_bytes([("data.bin", os.urandom(30_000))], compress=zipfile.ZIP_STORED)
raw("truncated.zip", whole[: len(whole) * 2 // 3], "truncated")

# Zip entries: climbing names, absolute names, links out, devices.
raw("zip-dotdot.zip", zip_bytes([("ok/../../evil", b"x")]), "climbs out")
raw("zip-absolute.zip", zip_bytes([(os.path.join(outside, "evil"), b"x")]), "absolute path")
raw("zip-symlink-out.zip", zip_bytes([symlink_info("out", "../../..")], compress=zipfile.ZIP_STORED), "points outside")
raw("zip-symlink-chain.zip", zip_bytes([
    symlink_info("x", "."), symlink_info("x/y", ".."), ("x/y/f", b"escaped\n"),
], compress=zipfile.ZIP_STORED), "x is a symbolic link")
device = zipfile.ZipInfo("dev/tty")
device.create_system = 3
device.external_attr = (0o020666 << 16)
raw("zip-device.zip", zip_bytes([(device, b"")]), "device, FIFO or socket")

with open(os.path.join(out, "manifest.json"), "w") as f:
    json.dump(manifest, f, indent=1)
