"""Metadata that tells the truth (a metadata step with `expect: {truthful: true}`).

After the case's pushes and deletes, the format's metadata document must list exactly the versions the target
holds (a new version appears, a deleted one goes; a document may lag a write by the processing delay, here
`--processing-timeout`, as GitLab regenerates some documents in background jobs), every digest it gives must be
that of the bytes pushed, and every file URL it gives must serve those bytes. A proxy or cache in front of a
registry that serves a document as first seen, drops a version or alters a checksum fails here, naming which.
"""

from __future__ import annotations

import time
from dataclasses import replace
from urllib.parse import parse_qsl, urljoin, urlsplit

from core.credentials import Credential
from core.format_types import Artifact, MetadataEntry, RequestSpec, file_digests
from core.results import StepRecord
from core.vocabulary import AuthScheme
from engine.cases.checks import observe
from engine.cases.errors import CaseNotApplicable, StepFailed
from engine.cases.state import CaseState
from engine.drivers.base import Observation
from engine.scenario import Step

DOCUMENT_LIMIT = 8 << 20  # a metadata document is read whole, up to this many bytes
POLL_SECONDS = 0.5


def readable(spec: RequestSpec) -> RequestSpec:
    """The metadata request, asking the driver to keep the whole document."""
    return replace(spec, keep_body=max(spec.keep_body, DOCUMENT_LIMIT))


def _entries(state: CaseState, name: str, obs: Observation) -> list[MetadataEntry]:
    if obs.body_size > len(obs.body_excerpt):
        raise StepFailed(f"the metadata of {name} is {obs.body_size} bytes, more than the {DOCUMENT_LIMIT} read")
    try:
        entries = state.ops.metadata_entries(obs.body_excerpt, name)
    except ValueError as exc:
        raise StepFailed(f"the metadata of {name} cannot be read: {exc}") from None
    if entries is None:
        raise CaseNotApplicable(f"{state.format_name}'s metadata document is not read for versions, file URLs and "
                                "digests (its operations define no metadata_entries)")
    return entries


def _version_problem(name: str, entries: list[MetadataEntry], held: dict[str, Artifact]) -> str | None:
    listed = {e.version for e in entries}
    missing, extra = sorted(set(held) - listed), sorted(listed - set(held))
    if not missing and not extra:
        return None
    parts = []
    if missing:
        parts.append(f"leaves out {', '.join(missing)}, which the target acknowledged")
    if extra:
        parts.append(f"still lists {', '.join(extra)}, which the target no longer holds (deleted) or never took")
    return (f"the metadata of {name} {' and '.join(parts)}: it lists {', '.join(sorted(listed)) or 'no version'}, "
            f"the target holds {', '.join(sorted(held)) or 'none'}")


def _check_digests(name: str, entry: MetadataEntry, artifact: Artifact) -> None:
    stated = entry.digests or {}
    actual = file_digests(artifact, [a for a in stated if a in ("md5", "sha1", "sha256", "sha512")])
    for algorithm, value in stated.items():
        if algorithm in actual and actual[algorithm] != value:
            raise StepFailed(f"the metadata of {name} gives {entry.version} the {algorithm} {value}, but the bytes "
                             f"pushed ({artifact.file_name}) have {actual[algorithm]}: a client would refuse the "
                             "download as corrupt")


def _check_url(state: CaseState, step: Step, record: StepRecord, name: str, entry: MetadataEntry,
               artifact: Artifact, document_url: str) -> None:
    assert entry.url is not None
    base, url = state.driver.base_url, urljoin(document_url, entry.url)  # a URL may be relative to the document
    if not url.startswith(base + "/"):
        raise StepFailed(f"the metadata of {name} gives {entry.version} the file URL {url}, which is not on "
                         f"the target ({base})")
    pull = state.ops.pull(state.env.project_id, name, entry.version, artifact.file_name)
    where = urlsplit(url[len(base):])
    spec = replace(pull, path=where.path, params=dict(parse_qsl(where.query)))
    credential, scheme = state.actor(step, pull.endpoint)
    obs = state.driver.send(spec, credential, scheme)
    observe(record, obs)
    if obs.status != pull.endpoint.success_status:
        raise StepFailed(f"the file URL the metadata of {name} gives {entry.version} answered {obs.status}, not "
                         f"{pull.endpoint.success_status}: {url}")
    if not state.ops.served_built and obs.body_sha256 != artifact.sha256():
        raise StepFailed(f"the file URL the metadata of {name} gives {entry.version} serves other bytes (sha256 "
                         f"{obs.body_sha256}) than were pushed ({artifact.sha256()}): {url}")


def check_truthful(state: CaseState, step: Step, record: StepRecord, spec: RequestSpec, credential: Credential,
                   scheme: AuthScheme, name: str, obs: Observation) -> str:
    """Judge the document `obs` holds (read again while it lags the writes); a sentence of what was proven."""
    held = state.published.get(name, {})
    timeout = float(state.ctx.settings.get("processing_timeout") or 60)
    started = time.monotonic()
    entries = _entries(state, name, obs)
    while (problem := _version_problem(name, entries, held)) is not None:
        waited = time.monotonic() - started
        if waited >= timeout:
            raise StepFailed(f"{problem} (still after {waited:.0f} s, the --processing-timeout)")
        time.sleep(POLL_SECONDS)
        obs = state.driver.send(spec, credential, scheme)
        observe(record, obs)
        entries = _entries(state, name, obs)
    urls = digests = 0
    for entry in entries:
        artifact = held[entry.version]
        if entry.digests and not state.ops.served_built:  # a built download is compared by the format's key
            _check_digests(name, entry, artifact)
            digests += len(entry.digests)
        if entry.url:
            _check_url(state, step, record, name, entry, artifact, state.driver.url(spec))
            urls += 1
    if len(record.exchanges) > 6:
        record.exchanges = record.exchanges[:3] + record.exchanges[-3:]
    record.observed.update({"versions": sorted(held), "digests_checked": digests, "urls_checked": urls})
    lag = time.monotonic() - started
    return (f"lists exactly {', '.join(sorted(held)) or 'no version'}"
            + (f" (after {lag:.1f} s)" if lag >= POLL_SECONDS else "")
            + f"; {digests} digest(s) match the bytes pushed; {urls} file URL(s) serve them")
