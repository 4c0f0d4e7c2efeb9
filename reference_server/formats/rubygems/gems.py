"""Reading an uploaded `.gem` as GitLab's ProcessGemService does with `Gem::Package`: the tar's `metadata.gz`, the
YAML `Gem::Specification` inside it, and from that the name, version, platform and dependencies GitLab stores
(MetadataExtractionService, CreateDependenciesService), plus the Ruby gemspec it adds as a file
(CreateGemspecService: `gemspec.to_ruby`)."""

import gzip
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class GemError(Exception):
    """Not a gem `Gem::Package` can read (ProcessGemService::ExtractionError 'Unable to read gem file')."""


class _RubyLoader(yaml.SafeLoader):
    """YAML with Ruby's object tags (`!ruby/object:Gem::Specification`, `Gem::Version` …) read as plain mappings."""


def _ruby_object(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_RubyLoader.add_multi_constructor("!ruby/", _ruby_object)


@dataclass(frozen=True)
class GemDependency:
    name: str
    requirement: str  # "~> 1.0, >= 1.0.2", as Gem::Requirement#to_s writes it
    type: str


@dataclass(frozen=True)
class Gemspec:
    name: str
    version: str
    platform: str
    summary: str
    authors: list[str]
    dependencies: list[GemDependency]
    raw: dict[str, Any]

    def to_ruby(self) -> str:
        """A gemspec as Ruby (what `Gem::Specification#to_ruby` writes, in short)."""
        lines = ["# -*- encoding: utf-8 -*-", "Gem::Specification.new do |s|", f"  s.name = {self.name!r}",
                 f"  s.version = {self.version!r}", f"  s.platform = {self.platform!r}",
                 f"  s.summary = {self.summary!r}", f"  s.authors = {self.authors!r}"]
        for dep in self.dependencies:
            call = "add_development_dependency" if dep.type == "development" else "add_runtime_dependency"
            lines.append(f"  s.{call}({dep.name!r}, {[c.strip() for c in dep.requirement.split(',')]!r})")
        return "\n".join(lines + ["end", ""])

    def metadatum(self) -> dict[str, Any]:
        """The columns of GitLab's packages_rubygems_metadata that the harness can see."""
        keys = ("authors", "summary", "description", "email", "homepage", "licenses", "platform", "bindir",
                "require_paths", "rubygems_version", "files")
        return {key: self.raw.get(key) for key in keys}


def _requirement(value: Any) -> str:
    if not isinstance(value, dict):
        return ">= 0"
    parts = []
    for pair in value.get("requirements") or []:
        if isinstance(pair, list) and len(pair) == 2:
            version = pair[1].get("version") if isinstance(pair[1], dict) else pair[1]
            parts.append(f"{pair[0]} {version}")
    return ", ".join(parts) or ">= 0"


def parse_gemspec(text: bytes) -> Gemspec:
    try:
        spec = yaml.load(text, Loader=_RubyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise GemError(f"metadata.gz is no YAML gemspec: {exc}") from None
    if not isinstance(spec, dict) or "name" not in spec or "version" not in spec:
        raise GemError("metadata.gz is no Gem::Specification")
    version = spec["version"]
    version = version.get("version") if isinstance(version, dict) else version
    dependencies = []
    for dep in spec.get("dependencies") or []:
        if isinstance(dep, dict) and dep.get("name"):
            kind = str(dep.get("type") or "runtime").lstrip(":")
            dependencies.append(GemDependency(str(dep["name"]), _requirement(dep.get("requirement")), kind))
    authors = spec.get("authors") or []
    return Gemspec(str(spec["name"]), str(version), str(spec.get("platform") or "ruby"), str(spec.get("summary") or ""),
                   [str(a) for a in authors] if isinstance(authors, list) else [str(authors)], dependencies, spec)


def read_gem(path: Path) -> Gemspec:
    """The gemspec of the gem at `path`; GemError when it is none."""
    try:
        with tarfile.open(path, mode="r:") as tar:
            member = tar.extractfile("metadata.gz")
            if member is None:
                raise GemError("the gem has no metadata.gz")
            return parse_gemspec(gzip.decompress(member.read()))
    except (tarfile.TarError, KeyError, OSError, EOFError, zlib.error) as exc:
        raise GemError(f"Unable to read gem file: {exc}") from None
