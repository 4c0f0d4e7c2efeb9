"""What each client image holds: the official image a user would pick plus the steps that add the other clients,
or the same clients from Debian packages, PyPI and the npm registry on the local base when no container
registry is reachable.

A recipe is turned into a Dockerfile; the image's tag is a hash of that Dockerfile, the base image's id and
the certificate authorities copied in, so a changed recipe (or a rebuilt base) gets a new tag and an unchanged
one is reused as is.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Source = Literal["official", "fallback"]
SOURCES: tuple[Source, ...] = ("official", "fallback")

BASE_IMAGE = "harness-base:bookworm"  # made by base_image.py: debootstrap + docker import
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
    return ("RUN apt-get update && apt-get install -y --no-install-recommends " + " ".join(packages)
            + " && apt-get clean && rm -rf /var/lib/apt/lists/*")


@dataclass(frozen=True)
class Variant:
    """One way to build an image: the image it starts FROM, the environment, the Dockerfile steps."""

    base: str
    steps: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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


# Java does not read the PEM bundle: it has its own keystore, so the official Maven image imports the local CAs.
# (The Debian fallback gets them through ca-certificates-java, which reads /usr/local/share/ca-certificates.)
JAVA_TRUST_LOCAL_CAS = ('RUN for f in /usr/local/share/ca-certificates/*.crt; do [ -f "$f" ] || continue; '
                        'keytool -importcert -noprompt -cacerts -storepass changeit -alias "local-$(basename "$f")" '
                        '-file "$f" >/dev/null || exit 1; done')

NPM_BOOTSTRAP = "https://registry.npmjs.org/npm/-/npm-10.9.2.tgz"

IMAGE_RECIPES: dict[str, ImageRecipe] = {
    "node": ImageRecipe(
        name="node",
        programs={"node": "node --version", "npm": "npm --version", "pnpm": "pnpm --version",
                  "yarn": "yarn --version"},
        # The official image already ships yarn 1 (and corepack); pnpm comes from the npm registry.
        official=Variant("node:20-bookworm-slim", ("RUN npm install -g pnpm@10 && npm cache clean --force",)),
        # Debian's own npm package drags in ~300 node-* packages (36 s, 375 MB) and is npm 9: npm comes from the
        # npm registry instead (15 s, 262 MB), bootstrapped by running its tarball once.
        fallback=Variant(BASE_IMAGE, (
            apt_install("nodejs", "curl", "ca-certificates"),
            f"RUN curl -fsSL {NPM_BOOTSTRAP} | tar -xz -C /tmp && node /tmp/package/bin/npm-cli.js install -g "
            "npm@10 pnpm@10 yarn@1 && rm -rf /tmp/package && npm cache clean --force",
        ), {"PATH": DEFAULT_PATH}),
    ),
    "python": ImageRecipe(
        name="python",
        programs={"python": "python --version", "pip": "pip --version", "twine": "twine --version",
                  "uv": "uv --version"},
        official=Variant("python:3.12-slim", ("RUN pip install --no-cache-dir twine uv build",)),
        # Debian's Python refuses `pip install` outside a virtual environment (PEP 668): the clients live in one.
        fallback=Variant(BASE_IMAGE, (
            apt_install("python3", "python3-venv", "ca-certificates"),
            "RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir --upgrade pip twine uv build",
        ), {"PATH": "/opt/venv/bin:" + DEFAULT_PATH}),
    ),
    "maven": ImageRecipe(
        name="maven",
        programs={"java": "java -version", "mvn": "mvn --batch-mode --version"},
        official=Variant("maven:3.9-eclipse-temurin-21", (JAVA_TRUST_LOCAL_CAS,)),
        # Debian's maven-repo holds the deploy and dependency plugins, so no plugin has to come from Maven Central.
        fallback=Variant(BASE_IMAGE, (
            apt_install("maven", "libmaven-deploy-plugin-java", "libmaven-dependency-plugin-java", "junit4",
                        "ca-certificates"),
        ), {"PATH": DEFAULT_PATH}),
    ),
    "curl": ImageRecipe(
        name="curl",
        programs={"curl": "curl --version"},
        official=Variant("curlimages/curl:latest"),  # runs as curl_user by default; the Dockerfile sets root
        fallback=Variant(BASE_IMAGE, (apt_install("curl", "ca-certificates"),), {"PATH": DEFAULT_PATH}),
    ),
}


def get_recipe(name: str) -> ImageRecipe:
    try:
        return IMAGE_RECIPES[name]
    except KeyError:
        raise KeyError(f"unknown client image {name!r}; known images: {', '.join(IMAGE_RECIPES)}") from None


class ImageBuildError(RuntimeError):
    """An image could not be made; the message says which step failed and ends with the build log's last lines."""
