"""npm's artifact: a real npm tarball (package/package.json and a payload) of an exact size, built fast."""

import gzip
import io
import json
import tarfile
from collections.abc import Iterable

from formats.generic.artifacts import GeneratedFile

PAYLOAD = "package/payload.bin"
_MTIME = 499162500  # 1985-10-26T08:15:00Z, the date npm pack gives every entry


def package_json(name: str, version: str) -> dict[str, object]:
    return {"name": name, "version": version, "description": "A package built by the rollout harness.",
            "license": "UNLICENSED", "files": ["payload.bin"]}


def _tar_header(path: str, size: int) -> bytes:
    info = tarfile.TarInfo(path)
    info.size, info.mode, info.mtime = size, 0o644, _MTIME
    return info.tobuf(format=tarfile.USTAR_FORMAT)


def _tar_padding(size: int) -> bytes:
    return tarfile.NUL * (-size % tarfile.BLOCKSIZE)


def _tgz(name: str, version: str, payload: Iterable[bytes], payload_size: int, header_name: str = "") -> bytes:
    """The tar written by hand straight into gzip level 0 (stored): random bytes do not compress, so big
    tarballs build at memory speed, held once. Two zero blocks end the archive (no record padding, which would
    make small tarballs 10 KiB)."""
    manifest = json.dumps(package_json(name, version), indent=2).encode()
    buffer = io.BytesIO()
    # `header_name` goes into the gzip header's FNAME field: a byte-exact filler that changes nothing inside
    with gzip.GzipFile(filename=header_name, fileobj=buffer, mode="wb", compresslevel=0, mtime=0) as gz:
        gz.write(_tar_header("package/package.json", len(manifest)) + manifest + _tar_padding(len(manifest)))
        gz.write(_tar_header(PAYLOAD, payload_size))
        for chunk in payload:
            gz.write(chunk)
        gz.write(_tar_padding(payload_size) + tarfile.NUL * 2 * tarfile.BLOCKSIZE)
    return buffer.getvalue()


def tarball(name: str, version: str, size: int, seed: int) -> bytes:
    """A valid npm tarball of exactly `size` bytes when that is above the tarball with an empty payload (else that
    smallest one): a size limit is then tested at the limit itself. The payload is Generic's GeneratedFile, so any
    size builds without drawing that many random bytes; the last bytes are made up in the gzip header's file name."""
    overhead = len(_tgz(name, version, (), 0))
    payload_size = max(0, (size - overhead) * 65535 // 65540 // tarfile.BLOCKSIZE * tarfile.BLOCKSIZE)
    for _ in range(8):
        data = _tgz(name, version, GeneratedFile(payload_size, seed).chunks(), payload_size)
        gap = size - len(data)
        if gap == 0 or (gap < 0 and payload_size == 0):
            return data
        if gap >= 2:  # FNAME adds its characters and a NUL
            exact = _tgz(name, version, GeneratedFile(payload_size, seed).chunks(), payload_size, "p" * (gap - 1))
            if len(exact) == size:
                return exact
        payload_size = max(0, payload_size - tarfile.BLOCKSIZE * max(1, -(-(2 - gap) // tarfile.BLOCKSIZE)))
    return data
