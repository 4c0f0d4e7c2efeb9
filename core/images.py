"""What a client image is, as data: the official image a user would pick plus the steps that add the clients, or
the same clients from Debian packages, PyPI and the npm registry on a local Debian base when no container registry
is reachable. Formats declare their clients' images with these types (in `formats/<name>/clients.py`); building
and running them is the engine's job (`engine/containers/`).

A recipe is turned into a Dockerfile; the image's tag is a hash of that Dockerfile, the base image's id and the
certificate authorities copied in, so a changed recipe (or a rebuilt base) gets a new tag and an unchanged one is
reused as is.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Source = Literal["official", "fallback"]
SOURCES: tuple[Source, ...] = ("official", "fallback")

BASE_IMAGE = "harness-base:bookworm"  # made by engine/containers/base_image.py: debootstrap + docker import
LABEL = "org.registry-harness"  # prefix of the labels every harness image carries
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"  # where the bundle lives inside every image
# Every client reads its trust store from somewhere else; all of them are pointed at the one bundle.
CA_ENV = {"NODE_EXTRA_CA_CERTS": CA_BUNDLE, "SSL_CERT_FILE": CA_BUNDLE, "REQUESTS_CA_BUNDLE": CA_BUNDLE,
          "PIP_CERT": CA_BUNDLE, "LANG": "C.UTF-8"}
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"  # `docker import` sets no PATH
# The host's bundle (it holds any local CA that re-signs outbound HTTPS) and its local CAs, in order of preference.
HOST_BUNDLES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem")
HOST_LOCAL_CAS = Path("/usr/local/share/ca-certificates")


def apt_install(*packages: str) -> str:
    """The Dockerfile step that installs Debian packages and leaves no apt lists or caches in the layer."""
    return ("RUN apt-get update && apt-get install -y --no-install-recommends " + " ".join(packages)
            + " && apt-get clean && rm -rf /var/lib/apt/lists/*")


@dataclass(frozen=True, slots=True)
class Variant:
    """One way to build an image: the image it starts FROM, the environment, the Dockerfile steps."""

    base: str
    steps: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class HostCAs:
    """The certificate authorities this host trusts, copied into every image: where outbound HTTPS is re-signed
    by a local CA, npm and pip inside the image fail with SELF_SIGNED_CERT_IN_CHAIN without them."""

    bundle: bytes | None
    local: dict[str, bytes]  # file name → PEM, from /usr/local/share/ca-certificates

    @classmethod
    def from_host(cls) -> HostCAs:
        bundle = next((Path(p).read_bytes() for p in HOST_BUNDLES if Path(p).is_file()), None)
        local = ({p.name: p.read_bytes() for p in sorted(HOST_LOCAL_CAS.glob("*.crt")) if p.is_file()}
                 if HOST_LOCAL_CAS.is_dir() else {})
        return cls(bundle, local)

    def digest(self) -> str:
        digest = hashlib.sha256(self.bundle or b"")
        for name, content in sorted(self.local.items()):
            digest.update(name.encode() + b"\0" + content)
        return digest.hexdigest()

    def write_to(self, context: Path) -> None:
        """Put the CAs in a build context where the Dockerfile's COPY lines expect them."""
        if self.bundle is not None:
            (context / "ca-certificates.crt").write_bytes(self.bundle)
        if self.local:
            (context / "ca").mkdir(exist_ok=True)
            for name, content in self.local.items():
                (context / "ca" / name).write_bytes(content)


@dataclass(frozen=True, slots=True)
class ImageRecipe:
    """One client family's image. `programs` maps each program it provides to the shell command printing its
    version (checked after every build: a program that does not answer fails the build)."""

    name: str
    programs: dict[str, str]
    official: Variant
    fallback: Variant

    def variant(self, source: Source) -> Variant:
        return self.official if source == "official" else self.fallback

    def repository(self) -> str:
        return f"harness-{self.name}"

    def dockerfile(self, source: Source, cas: HostCAs) -> str:
        variant = self.variant(source)
        lines = [f"FROM {variant.base}", "USER root", "ARG DEBIAN_FRONTEND=noninteractive"]
        if cas.local:
            lines.append("COPY ca/ /usr/local/share/ca-certificates/")
        if cas.bundle is not None:
            lines.append(f"COPY ca-certificates.crt {CA_BUNDLE}")
        lines += [f"ENV {key}={json.dumps(value)}" for key, value in {**CA_ENV, **variant.env}.items()]
        lines += list(variant.steps)
        lines += ["WORKDIR /work", "ENTRYPOINT []", 'CMD ["sh"]']  # the runner always gives the full command
        return "\n".join(lines) + "\n"

    def recipe_hash(self, source: Source, base_image_id: str, cas: HostCAs) -> str:
        """sha256 of everything that makes the image: the Dockerfile, the base image's id, the CAs copied in."""
        content = {"name": self.name, "source": source, "dockerfile": self.dockerfile(source, cas),
                   "base_image_id": base_image_id, "cas": cas.digest(), "programs": self.programs}
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()

    def tag(self, recipe_hash: str) -> str:
        return f"{self.repository()}:{recipe_hash[:12]}"


__all__ = ["BASE_IMAGE", "CA_BUNDLE", "CA_ENV", "DEFAULT_PATH", "HOST_BUNDLES", "HOST_LOCAL_CAS", "LABEL", "SOURCES",
           "HostCAs", "ImageRecipe", "Source", "Variant", "apt_install"]
