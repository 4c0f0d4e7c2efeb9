"""Formats are discovered: a format package found through HARNESS_FORMAT_DIRS joins FORMATS, the client recipes and
the client images without any list being edited."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

TINY_FORMAT = '''
import re

from core.client_recipe import ClientCall, ClientRecipe
from core.format_types import (BytesArtifact, DuplicatePolicy, Endpoint, Format, FormatOperations, FormatRules,
                               RequestSpec)
from core.images import BASE_IMAGE, ImageRecipe, Variant
from core.route_auth import GENERIC_UPLOAD_ROUTE
from core.vocabulary import AuthScheme, Operation

ANY = re.compile(r"[a-z0-9.-]+")
RULES = FormatRules(ANY, ANY, ANY, 1 << 20, DuplicatePolicy(allowed_by_default=True, switchable=False),
                    "lowercase", "lowercase", "lowercase")
FILE = Endpoint("file", "PUT", "/api/v4/projects/{project_id}/packages/tiny/{name}/{file_name}", Operation.PUSH, 201,
                GENERIC_UPLOAD_ROUTE)
TINY = Format("tiny", RULES, {FILE.name: FILE})


class TinyOperations(FormatOperations):
    format = TINY
    package_type = "tiny"

    def artifact(self, name, version, file_hint, size, seed):
        return BytesArtifact(f"{name}-{version}.tiny", bytes(size))

    def push(self, project_id, name, version, artifact, *, status=None, select=None):
        return [RequestSpec(FILE, FILE.url_path(project_id=project_id, name=name, file_name=artifact.file_name))]

    def pull(self, project_id, name, version, file_name):
        return RequestSpec(FILE, FILE.url_path(project_id=project_id, name=name, file_name=file_name))


class TinyClient(ClientRecipe):
    name = "tiny-cli"
    format = TINY.name
    image = "tiny"
    program = "tiny"
    version_argv = ["tiny", "--version"]
    schemes = (AuthScheme.HEADER,)
    operations = frozenset({"push"})

    def call(self, op, target, name, version, file_name):
        return ClientCall(["tiny", "push", file_name])


OPERATIONS = TinyOperations()
RECIPES = (TinyClient(),)
IMAGES = (ImageRecipe("tiny", {"tiny": "tiny --version"}, Variant("busybox"), Variant(BASE_IMAGE)),)
'''

SHOW = '''
import json
import formats
from engine.clients.registry import RECIPES, recipes_for
from engine.containers.images import IMAGE_RECIPES
print(json.dumps({"formats": list(formats.FORMATS), "tiny_clients": [r.name for r in recipes_for("tiny")],
                  "all_clients": list(RECIPES), "images": list(IMAGE_RECIPES),
                  "module": formats.PACKAGES["tiny"].operations.__module__}))
'''


def test_a_format_in_a_harness_format_dir_is_discovered(tmp_path: Path) -> None:
    package = tmp_path / "formats" / "tiny"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(textwrap.dedent(TINY_FORMAT))
    env = {**os.environ, "HARNESS_FORMAT_DIRS": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", SHOW], env=env, capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["formats"] == ["composer", "generic", "maven", "npm", "pypi", "tiny"]  # name order, as case ids are
    assert found["tiny_clients"] == ["tiny-cli"] and "tiny-cli" in found["all_clients"]
    assert "tiny" in found["images"] and found["module"] == "formats.tiny"


def test_a_package_that_is_not_a_format_is_named(tmp_path: Path) -> None:
    (tmp_path / "formats" / "broken").mkdir(parents=True)
    (tmp_path / "formats" / "broken" / "__init__.py").write_text("OPERATIONS = None\n")
    env = {**os.environ, "HARNESS_FORMAT_DIRS": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", "import formats"], env=env, capture_output=True, text=True,
                          timeout=120, cwd=Path(__file__).resolve().parents[1])
    assert done.returncode != 0
    assert "formats.broken is not a format package: it defines no RECIPES, IMAGES" in done.stderr
