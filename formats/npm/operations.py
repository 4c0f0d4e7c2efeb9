"""npm's FormatOperations: what the engine and Locust users call."""

import base64
import binascii
import json

from core.format_types import Artifact, BytesArtifact, FormatOperations, MetadataEntry, RequestSpec
from formats.npm import requests
from formats.npm.artifacts import tarball
from formats.npm.names import tarball_file_name, unscoped
from formats.npm.rules import FORWARDING, NPM, forward_url


class NpmOperations(FormatOperations):
    format = NPM
    package_type = "npm"

    def artifact(self, name: str, version: str, file_hint: str, size: int, seed: int) -> BytesArtifact:
        """A real tarball named `<unscoped name>-<version>.tgz`; npm names its files itself, so the hint is unused."""
        return BytesArtifact(f"{unscoped(name)}-{version}.tgz", tarball(name, version, size, seed))

    def forwarded_to(self, spec: RequestSpec, name: str) -> str | None:
        return forward_url(name) if spec.endpoint.name in FORWARDING.endpoints else None

    def push(self, project_id: int | str, name: str, version: str, artifact: Artifact, *,
             status: str | None = None, select: str | None = None) -> list[RequestSpec]:
        """npm has no `status` or `select`: a publish is one PUT, tagged `latest`."""
        return [requests.publish(project_id, name, version, artifact)]

    def pull(self, project_id: int | str, name: str, version: str, file_name: str) -> RequestSpec:
        """The tarball URL is GitLab's (`<name>-<version>.tgz`), whatever the artifact was called locally."""
        return requests.download(project_id, name, version)

    def metadata(self, project_id: int | str, name: str) -> RequestSpec:
        return requests.packument(project_id, name)

    def metadata_entries(self, document: bytes, name: str) -> list[MetadataEntry]:
        """The packument's versions, each with `dist.tarball` and its digests: `shasum` (sha1, hex) and
        `integrity` (Subresource Integrity, `sha512-<base64>`), as npm checks them after a download."""
        try:
            versions = json.loads(document)["versions"]
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"not a packument with versions: {exc}") from None
        entries = []
        for version, manifest in versions.items():
            dist = manifest.get("dist") or {} if isinstance(manifest, dict) else {}
            digests = {}
            if isinstance(dist.get("shasum"), str):
                digests["sha1"] = dist["shasum"].lower()
            algorithm, _, value = str(dist.get("integrity") or "").partition("-")
            if algorithm in ("sha1", "sha256", "sha512") and value:
                try:
                    digests[algorithm] = base64.b64decode(value, validate=True).hex()
                except binascii.Error:
                    digests[algorithm] = f"(not base64: {value})"
            entries.append(MetadataEntry(version, dist.get("tarball"), digests))
        return entries

    def invalid_artifact(self, name: str, version: str) -> Artifact:
        """Named as the version's tarball, but not a gzip'd tar with a package.json (GitLab refuses it with 400)."""
        return BytesArtifact(tarball_file_name(name, version), b"this is not a gzip tarball\n" * 8)

    def instance_metadata(self, name: str) -> RequestSpec:
        return requests.instance_packument(name)

    def tag(self, project_id: int | str, name: str, tag: str, version: str | None) -> RequestSpec:
        if version is None:
            return requests.remove_dist_tag(project_id, name, tag)
        return requests.add_dist_tag(project_id, name, tag, version)

    def tags(self, project_id: int | str, name: str) -> RequestSpec:
        return requests.dist_tags(project_id, name)

    def duplicate_checked_before_body(self) -> bool:
        return False  # the version is named inside the JSON document, not in the URL


OPERATIONS = NpmOperations()
