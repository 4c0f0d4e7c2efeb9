"""The local base image, harness-base:bookworm: a minimal Debian made with debootstrap and `docker import`.

It exists because a machine that reaches the Debian archive, PyPI and the npm registry may reach no container
registry at all: every fallback client image starts FROM it. It is made once and reused while its recipe (the
suite, the mirrors, the environment, the host's CAs) is unchanged; its label carries the recipe's hash.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections import deque
from collections.abc import Callable
from pathlib import Path

import docker
from docker.errors import APIError, ImageNotFound

from core.images import BASE_IMAGE, CA_BUNDLE, CA_ENV, LABEL, HostCAs
from engine.containers.images import ImageBuildError

SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
SECURITY_MIRROR = "http://deb.debian.org/debian-security"
SOURCES_LIST = (f"deb {MIRROR} {SUITE} main\n"
                f"deb {MIRROR} {SUITE}-updates main\n"
                f"deb {SECURITY_MIRROR} {SUITE}-security main\n")
DEBOOTSTRAP = ["debootstrap", "--variant=minbase", SUITE]
# As in Debian's official images: apt keeps no downloaded packages, caches or translations in the image's layers.
_CLEAN = '{ "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };\n'
APT_CONF = {
    "docker-clean": f"DPkg::Post-Invoke {_CLEAN}APT::Update::Post-Invoke {_CLEAN}"
                    'Dir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n',
    "docker-no-languages": 'Acquire::Languages "none";\n',
    "docker-no-recommends": 'APT::Install-Recommends "false";\n',
}
HASH_LABEL = f"{LABEL}.recipe-hash"

Step = Callable[[str], None]


def base_recipe_hash(cas: HostCAs) -> str:
    content = {"debootstrap": DEBOOTSTRAP, "mirror": MIRROR, "sources": SOURCES_LIST, "apt": APT_CONF,
               "env": CA_ENV, "cas": cas.digest()}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def current_base_image(client: docker.DockerClient, cas: HostCAs | None = None) -> str | None:
    """The id of harness-base:bookworm if it exists and was made from the current recipe, else None."""
    try:
        image = client.images.get(BASE_IMAGE)
    except ImageNotFound:
        return None
    wanted = base_recipe_hash(cas or HostCAs.from_host())
    return image.id if (image.labels or {}).get(HASH_LABEL) == wanted else None


def ensure_base_image(client: docker.DockerClient, rebuild: bool = False, step: Step | None = None) -> str:
    """The id of harness-base:bookworm, made now (about 40 s) unless an up-to-date one exists."""
    cas = HostCAs.from_host()
    if not rebuild and (image_id := current_base_image(client, cas)):
        return image_id
    _check_can_debootstrap()
    say = step or (lambda _text: None)
    workdir = Path(tempfile.mkdtemp(prefix="harness-base-"))
    try:
        rootfs = workdir / "rootfs"
        _debootstrap(rootfs, say)
        _finish_rootfs(rootfs, cas)
        say("packing the root file system")
        tarball = workdir / "rootfs.tar"
        subprocess.run(["tar", "-C", str(rootfs), "-cf", str(tarball), "."], check=True, capture_output=True)
        say(f"docker import → {BASE_IMAGE}")
        changes = [f"ENV {key}={value}" for key, value in CA_ENV.items()]
        changes.append(f"LABEL {HASH_LABEL}={base_recipe_hash(cas)} {LABEL}.image=base {LABEL}.source=debootstrap")
        repository, tag = BASE_IMAGE.split(":")
        try:
            client.api.import_image(src=str(tarball), repository=repository, tag=tag, changes=changes)
        except APIError as exc:
            raise ImageBuildError(f"docker import of the base image failed: {exc.explanation or exc}") from None
        return str(client.images.get(BASE_IMAGE).id)
    except subprocess.CalledProcessError as exc:
        raise ImageBuildError(f"packing the base image failed: {exc.stderr.decode(errors='replace')[-2000:]}") from None
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _check_can_debootstrap() -> None:
    if shutil.which("debootstrap") is None:
        raise ImageBuildError(
            f"{BASE_IMAGE} has to be made (no container registry image is used) and debootstrap is not installed: "
            "apt-get install -y --no-install-recommends debootstrap (or run .ci/docker-engine, which installs it).")
    if os.geteuid() != 0:
        raise ImageBuildError(
            f"{BASE_IMAGE} has to be made with debootstrap, which needs root: run `sudo harness images build` once "
            "(the image is then reused), or give the engine access to a registry and use --source official.")


def _debootstrap(rootfs: Path, say: Step) -> None:
    """debootstrap, streaming its progress; on failure the error holds the end of its output and its log."""
    say("debootstrap " + SUITE)
    tail: deque[str] = deque(maxlen=40)
    with subprocess.Popen([*DEBOOTSTRAP, str(rootfs), MIRROR], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, errors="replace") as process:
        assert process.stdout is not None
        for line in process.stdout:
            tail.append(line.rstrip())
            if line.startswith("I: "):
                say("debootstrap: " + line[3:].strip())
    if process.returncode != 0:
        log = rootfs / "debootstrap" / "debootstrap.log"
        log_tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:]) if log.is_file() else ""
        raise ImageBuildError(f"debootstrap {SUITE} from {MIRROR} failed (exit {process.returncode}); is the Debian "
                              f"archive reachable from this host?\n" + "\n".join(tail) + "\n" + log_tail)


def _finish_rootfs(rootfs: Path, cas: HostCAs) -> None:
    """Drop the package caches, point apt at the archive and the security updates, trust the host's CAs."""
    for pattern in ("var/cache/apt/archives/*.deb", "var/cache/apt/*.bin", "var/lib/apt/lists/*_*"):
        for entry in rootfs.glob(pattern):
            entry.unlink()
    (rootfs / "etc/apt/sources.list").write_text(SOURCES_LIST)
    for name, content in APT_CONF.items():
        (rootfs / "etc/apt/apt.conf.d" / name).write_text(content)
    if cas.local:
        local = rootfs / "usr/local/share/ca-certificates"
        local.mkdir(parents=True, exist_ok=True)
        for name, pem in cas.local.items():
            (local / name).write_bytes(pem)
    if cas.bundle is not None:
        bundle = rootfs / CA_BUNDLE.lstrip("/")
        bundle.parent.mkdir(parents=True, exist_ok=True)
        bundle.write_bytes(cas.bundle)
