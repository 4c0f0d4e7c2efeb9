"""Run one client call: in its container image (ContainerRunner) or with the client installed on the host
(HostRunner, for `--clients host`). Both write the call's files into the working directory, make it the client's
HOME, run the command with a time limit, and return the same `ContainerResult`, with a command line that
reruns the call by hand from that directory.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import docker
import requests
from docker.errors import APIError

from core.client_recipe import ClientCall, ClientRecipe
from core.images import LABEL
from engine.containers.build import BuildProgress, ImageInfo, SourceChoice, ensure_image
from engine.containers.engine import connect

OUTPUT_LIMIT = 64 * 1024  # bytes of output kept: the end, where clients print their errors
KILLED = 137  # the exit code of a killed command (128 + SIGKILL), for calls that ran out of time
# What a client on the host may see of the harness's environment: enough to run, nothing that changes what it
# does (no npm_config_*, PIP_INDEX_URL, proxies, tokens): the same call must behave as it does in a container.
HOST_ENV_KEPT = ("PATH", "LANG", "LC_ALL", "TMPDIR", "USER", "LOGNAME", "JAVA_HOME", "SSL_CERT_FILE",
                 "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "PIP_CERT", "CURL_CA_BUNDLE")


@dataclass
class ContainerResult:
    """What a call did. exit_code None means it did not run at all (`reason` says why; never a pass); a call
    that ran out of time was killed and has exit code 137 and a reason."""

    exit_code: int | None
    output: str  # stdout and stderr interleaved, the last 64 KiB
    duration_s: float
    image_id: str | None  # the exact image (None on the host)
    reproduce: str  # one line to run from the working directory
    reason: str | None = None
    timed_out: bool = False

    @property
    def not_run(self) -> str | None:
        return self.reason if self.exit_code is None else None


def write_files(workdir: Path, files: dict[str, str]) -> None:
    """Write a call's files (relative paths only: a call never writes outside its working directory)."""
    for name, content in files.items():
        relative = PurePosixPath(name)
        if relative.is_absolute() or ".." in relative.parts:
            raise ValueError(f"a client call's file must be a relative path inside its working directory: {name!r}")
        path = workdir.joinpath(*relative.parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)


def _env_flags(env: dict[str, str]) -> str:
    return " ".join(f"-e {shlex.quote(f'{key}={value}')}" for key, value in env.items())


class ContainerRunner:
    """Runs calls in the client images, on one engine connection. Images are made (or found) once per runner,
    on first use, unless given; runs use the low-level API (create, start, wait, logs, remove): one round trip
    each, no extra inspections."""

    def __init__(self, client: docker.DockerClient | None = None, images: dict[str, ImageInfo] | None = None,
                 source: SourceChoice = "auto", progress: BuildProgress | None = None) -> None:
        self.client = client or connect()
        self.images: dict[str, ImageInfo] = dict(images or {})
        self.source = source
        self.progress = progress
        self._lock = threading.Lock()

    def image(self, name: str) -> ImageInfo:
        with self._lock:
            if name not in self.images:
                self.images[name] = ensure_image(self.client, name, self.source, self.progress)
            return self.images[name]

    def run(self, recipe: ClientRecipe, call: ClientCall, workdir: Path) -> ContainerResult:
        """The driver's entry point: `call` of `recipe`, in the recipe's image."""
        return self.run_call(self.image(recipe.image), call, workdir)

    def run_call(self, image: ImageInfo, call: ClientCall, workdir: Path) -> ContainerResult:
        workdir = workdir.resolve()
        write_files(workdir, call.files)
        env = {"HOME": "/work", **call.env}
        reproduce = (f'docker run --rm --network host -v "$PWD":/work -w /work {_env_flags(env)} {image.image_id} '
                     f"{shlex.join(call.argv)}")
        api = self.client.api
        started = time.monotonic()
        try:
            host_config = api.create_host_config(binds={str(workdir): {"bind": "/work", "mode": "rw"}},
                                                 network_mode="host")
            container = api.create_container(image.image_id, call.argv, working_dir="/work", environment=env,
                                             labels={f"{LABEL}.run": image.name}, host_config=host_config)
        except APIError as exc:
            return ContainerResult(None, "", time.monotonic() - started, image.image_id, reproduce,
                                   reason=f"not run: the {image.name} container could not be created: "
                                          f"{exc.explanation or exc}")
        try:
            try:
                api.start(container)
            except APIError as exc:  # e.g. the program is not in the image
                return ContainerResult(None, "", time.monotonic() - started, image.image_id, reproduce,
                                       reason=f"not run: {image.tag} could not start {call.argv[0]}: "
                                              f"{exc.explanation or exc}")
            timed_out = False
            try:
                exit_code = int(api.wait(container, timeout=call.timeout_s)["StatusCode"])
            except requests.exceptions.RequestException:  # the wait's read timed out: the client ran too long
                timed_out = True
                api.kill(container)
                exit_code = int(api.wait(container, timeout=30)["StatusCode"]) or KILLED
            duration = time.monotonic() - started
            output = api.logs(container, stdout=True, stderr=True)[-OUTPUT_LIMIT:].decode(errors="replace")
        finally:
            api.remove_container(container, force=True)
        if os.geteuid() != 0:
            self._give_back(image, workdir)
        return ContainerResult(exit_code, output, duration, image.image_id, reproduce,
                               reason=f"timed out after {call.timeout_s:g} s: the container was killed"
                               if timed_out else None, timed_out=timed_out)

    def _give_back(self, image: ImageInfo, workdir: Path) -> None:
        """Clients run as root in the container; hand what they wrote back to this (non-root) user so that the
        working directory can be removed."""
        self.client.containers.run(image.image_id, ["chown", "-R", f"{os.getuid()}:{os.getgid()}", "/work"],
                                   remove=True, volumes={str(workdir): {"bind": "/work", "mode": "rw"}},
                                   network_mode="host")


class HostRunner:
    """Runs calls with the clients installed on this host (`--clients host`): same files, HOME is the working
    directory, PATH kept. A client that is not installed gives a 'not run' result, never a pass."""

    def run(self, recipe: ClientRecipe, call: ClientCall, workdir: Path) -> ContainerResult:
        workdir = workdir.resolve()
        reproduce = " ".join(['HOME="$PWD"', *(shlex.quote(f"{k}={v}") for k, v in call.env.items()),
                              shlex.join(call.argv)])
        env = {k: v for k, v in os.environ.items() if k in HOST_ENV_KEPT} | {"HOME": str(workdir), **call.env}
        for program in dict.fromkeys([recipe.program, call.argv[0]]):
            if shutil.which(program, path=env.get("PATH", os.defpath)) is None:
                return ContainerResult(None, "", 0.0, None, reproduce,
                                       reason=f"not run: {program} is not installed on this host")
        write_files(workdir, call.files)
        started = time.monotonic()
        process = subprocess.Popen(call.argv, cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        timed_out = False
        try:
            output, _ = process.communicate(timeout=call.timeout_s)
        except subprocess.TimeoutExpired:  # kill the client and whatever it started
            timed_out = True
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
        duration = time.monotonic() - started
        exit_code = KILLED if timed_out else process.returncode
        return ContainerResult(exit_code, output[-OUTPUT_LIMIT:].decode(errors="replace"), duration, None, reproduce,
                               reason=f"timed out after {call.timeout_s:g} s: killed" if timed_out else None,
                               timed_out=timed_out)
