"""The simple repository pages: PEP 503 HTML, or PEP 691 JSON when the client asks for it.

Shared by the project- and group-level routes; they decide which packages a caller sees, this module only
renders them. Every value is HTML-escaped (a `Requires-Python` of `>=3.8` is `&gt;=3.8` in an attribute).
"""

import json
from dataclasses import dataclass
from html import escape

from starlette.requests import Request
from starlette.responses import Response

from formats.pypi import SIMPLE_JSON, SIMPLE_JSON_LATEST


@dataclass(frozen=True)
class FileLink:
    file_name: str
    url: str  # without the #sha256= fragment
    sha256: str
    requires_python: str | None


@dataclass(frozen=True)
class ProjectLink:
    name: str  # as uploaded
    normalized: str
    url: str


def wants_json(request: Request) -> bool:
    """GitLab's rule: any Accept entry that starts with the PEP 691 JSON type (pip and uv send one)."""
    accept = request.headers.get("accept", "")
    return any(item.strip().startswith((SIMPLE_JSON, SIMPLE_JSON_LATEST)) for item in accept.split(","))


def _html(title: str, links: list[str]) -> Response:
    body = (f"<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"1.0\">\n"
            f"    <title>{escape(title)}</title>\n  </head>\n  <body>\n    <h1>{escape(title)}</h1>\n"
            + "".join(f"    {link}<br>\n" for link in links) + "  </body>\n</html>\n")
    return Response(body, media_type="text/html; charset=utf-8", headers={"Vary": "Accept"})


def _json(document: dict[str, object]) -> Response:
    return Response(json.dumps(document), media_type=SIMPLE_JSON, headers={"Vary": "Accept"})


def index_page(request: Request, projects: list[ProjectLink]) -> Response:
    """The list of every project (package name) the caller can see."""
    if wants_json(request):
        return _json({"meta": {"api-version": "1.0"}, "projects": [{"name": p.name} for p in projects]})
    links = [f'<a href="{escape(p.url)}">{escape(p.name)}</a>' for p in projects]
    return _html("Simple index", links)


def package_page(request: Request, normalized: str, files: list[FileLink]) -> Response:
    """One project's files, each linked with its sha256 fragment and its Requires-Python."""
    if wants_json(request):
        entries: list[dict[str, object]] = []
        for f in files:
            entry: dict[str, object] = {"filename": f.file_name, "url": f.url, "hashes": {"sha256": f.sha256}}
            if f.requires_python:
                entry["requires-python"] = f.requires_python
            entries.append(entry)
        return _json({"meta": {"api-version": "1.0"}, "name": normalized, "files": entries})
    links = []
    for f in files:
        python = f' data-requires-python="{escape(f.requires_python)}"' if f.requires_python else ""
        links.append(f'<a href="{escape(f.url)}#sha256={f.sha256}"{python}>{escape(f.file_name)}</a>')
    return _html(f"Links for {normalized}", links)
