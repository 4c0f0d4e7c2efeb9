"""Seeding a load: many distinct packages, one big package with many versions, and one package per size of the
growth curve, whose metadata endpoint is then timed.

At each size the curve records two latencies: the first request after a new version arrived (the registry builds
the document: where a check inside a loop hides) and the median of repeated requests (what most clients see once
the registry has cached it). Seeding pushes in parallel (one version at a time where the format's versions share
a file); the caller sees progress through `on_progress`.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from core.credentials import Credential
from engine.drivers.http import HttpDriver
from engine.load.analysis import GrowthPoint
from engine.load.plan import Seeded, metadata_request
from engine.publishing import PublishProblem, prepare, wait_processed
from engine.scenario import LoadSpec
from formats import OPERATIONS

FILE_SIZE = 256  # bytes of each seeded file: the load is about metadata, not transfer
FIRST_PROBES = 3  # versions pushed one at a time before each growth size, each followed by one first request
BIG_PACKAGE = "load-metadata"
PACKAGE_PREFIX = "load-package-"
GROWTH_PREFIX = "load-growth-"

Progress = Callable[[str, int, int], None]  # (what, done, total)


class SeedError(RuntimeError):
    """The target refused or failed a seeding upload or metadata request: no load can be measured."""


def _version(index: int, lane: int = 0) -> str:
    return f"1.{lane}.{index}"


class Seeder:
    def __init__(self, target_url: str, owner: Credential, format_name: str, project_id: int | str,
                 group_id: int | str | None, spec: LoadSpec, name_prefix: str = "",
                 on_progress: Progress | None = None) -> None:
        self.driver = HttpDriver(target_url)
        self.owner = owner
        self.format_name = format_name
        self.ops = OPERATIONS[format_name]
        self.spec = spec
        self.on_progress = on_progress or (lambda what, done, total: None)
        self.seeded = Seeded(project_id, group_id, name_prefix + BIG_PACKAGE, {})
        self.prefix = name_prefix
        sizes = spec.growth.sizes if spec.growth else []
        self.total = spec.packages + spec.versions + sum(n for n in sizes if n < spec.versions)
        self.done = 0
        self._lanes: dict[str, int] = {}

    def _lane(self, name: str) -> int:
        """The minor version a package's seeded versions share: 0, or for a format whose versions the whole project
        shares (Go's tags) one of the package's own, so no two packages need one version."""
        if not self.ops.versions_project_wide:
            return 0
        return self._lanes.setdefault(name, len(self._lanes))

    def _push(self, name: str, version: str, seed: int) -> tuple[str, int | None]:
        artifact = self.ops.artifact(name, version, "load.bin", FILE_SIZE, seed)
        try:
            prepare(self.driver, self.owner, self.ops, self.seeded.project_id, name, version, artifact)
            specs = self.ops.push(self.seeded.project_id, name, version, artifact)
            if specs:
                obs = self.driver.send_all(specs, self.owner, specs[0].endpoint.auth.owner_scheme)
                if obs.status is None or not 200 <= obs.status < 300:
                    raise SeedError(f"seeding {name} {version} failed: {obs.status} {obs.error or ''} "
                                    f"{obs.body_excerpt[:200].decode('utf-8', 'replace')}")
                wait_processed(self.driver, self.owner, self.ops, self.seeded.project_id, name, version)
        except PublishProblem as problem:
            raise SeedError(f"seeding {name} {version} failed: {problem}") from None
        # The size a download must have; unknown for a registry that builds the file it serves (Go's zips).
        return artifact.file_name, None if self.ops.served_built else artifact.size

    def _push_many(self, items: list[tuple[str, str, int]], what: str, parallel: int | None = None
                   ) -> list[tuple[str, int | None]]:
        def one(item: tuple[str, str, int]) -> tuple[str, int | None]:
            result = self._push(*item)
            self.done += 1
            self.on_progress(what, self.done, self.total)
            return result

        if not self.ops.publishes_concurrently():  # every publish re-points what the project's share (Composer)
            parallel = 1
        with ThreadPoolExecutor(max_workers=parallel or self.spec.parallel) as pool:
            return list(pool.map(one, items))

    def _metadata_ms(self, name: str) -> tuple[float, int]:
        spec = metadata_request(self.ops, self.seeded.project_id, name, group_id=self.seeded.group_id)
        obs = self.driver.send(spec, self.owner, spec.endpoint.auth.owner_scheme)
        if obs.status != spec.endpoint.success_status:
            raise SeedError(f"the metadata of {name} answered {obs.status}, expected "
                            f"{spec.endpoint.success_status}: {obs.body_excerpt[:200].decode('utf-8', 'replace')}")
        return obs.duration_ms, obs.body_size

    def _grow(self, name: str, stored: dict[str, tuple[str, int | None]], size: int) -> None:
        start = len(stored)
        items = [(name, _version(i, self._lane(name)), i) for i in range(start, size)]
        parallel = None if self.ops.versions_push_concurrently() else 1
        for (_, version, _), pushed in zip(items, self._push_many(items, "versions", parallel), strict=True):
            stored[version] = pushed

    def packages(self) -> None:
        names = [f"{self.prefix}{PACKAGE_PREFIX}{i}" for i in range(self.spec.packages)]
        items = [(name, _version(0, self._lane(name)), 10_000 + i) for i, name in enumerate(names)]
        stored = self._push_many(items, "packages")
        self.seeded.packages = {name: (version, *s) for (name, version, _), s in zip(items, stored, strict=True)}

    def versions(self) -> list[GrowthPoint]:
        """Seed the big package and one package per growth size (the big one serves its own size), then measure
        them interleaved, size after size in every round, so that whatever else loads the target weighs on every
        size alike: a fitted growth then reflects the registry, not the moment a size was measured."""
        growth = self.spec.growth
        sizes = [s for s in (growth.sizes if growth else []) if s <= self.spec.versions]
        grown: dict[int, tuple[str, dict[str, tuple[str, int | None]]]] = {}
        for size in sizes:
            name = self.seeded.big_package if size == self.spec.versions else f"{self.prefix}{GROWTH_PREFIX}{size}"
            grown[size] = (name, self.seeded.versions if size == self.spec.versions else {})
            self._grow(*grown[size], size - FIRST_PROBES)
        self._grow(self.seeded.big_package, self.seeded.versions,
                   self.spec.versions - (FIRST_PROBES if self.spec.versions in grown else 0))
        if not sizes or growth is None:
            return []
        firsts: dict[int, list[float]] = {size: [] for size in sizes}
        for _ in range(FIRST_PROBES):
            for size, (name, stored) in grown.items():
                self._grow(name, stored, len(stored) + 1)
                firsts[size].append(self._metadata_ms(name)[0])
        served: dict[int, list[tuple[float, int]]] = {size: [] for size in sizes}
        for _ in range(growth.samples):
            for size, (name, _) in grown.items():
                served[size].append(self._metadata_ms(name))
        points = []
        for size in sizes:
            latencies = sorted(ms for ms, _ in served[size])
            # The fastest first request: other load only ever adds time, while a build that grows with the versions
            # slows every one of them.
            points.append(GrowthPoint(versions=size, first_ms=round(min(firsts[size]), 2),
                                      served_p50_ms=round(statistics.median(latencies), 2),
                                      served_p95_ms=round(latencies[max(0, -(-95 * len(latencies) // 100) - 1)], 2),
                                      bytes=served[size][-1][1]))
            self.on_progress(f"growth: {size} versions, first {points[-1].first_ms:.1f} ms, "
                             f"served {points[-1].served_p50_ms:.1f} ms", self.done, self.total)
        return points

    def close(self) -> None:
        self.driver.close()
