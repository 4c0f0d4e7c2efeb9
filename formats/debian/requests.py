"""Debian's requests: the upload GitLab documents (`curl --request PUT --user <user>:<token> --upload-file
<file>.deb ".../packages/debian/<file>.deb?distribution=<codename>&component=<component>"`: the file is the body,
streamed), the indexes apt reads (Release, InRelease, a component's Packages), a pool download as apt fetches it,
and the distribution API's create and key requests (`prepare`, and the apt client's `signed-by` key)."""

from core.format_types import Artifact, RequestSpec

from .artifacts import letter_of
from .rules import (
    ARCHITECTURES,
    CREATE_DISTRIBUTION,
    DEFAULT_COMPONENT,
    DISTRIBUTION_KEY,
    DOWNLOAD,
    IN_RELEASE,
    PACKAGES_INDEX,
    RELEASE,
    UPLOAD,
)


def upload(project_id: int | str, artifact: Artifact, distribution: str | None,
           component: str | None = DEFAULT_COMPONENT) -> RequestSpec:
    """PUT the file as its body; `distribution` and `component` add a `.deb` straight to a distribution (without
    them, the file waits in the project's `incoming` package for its `.changes`)."""
    params: dict[str, str] = {}
    if distribution is not None:
        params["distribution"] = distribution
        if component is not None:
            params["component"] = component
    return RequestSpec(UPLOAD, UPLOAD.url_path(project_id=project_id, file_name=artifact.file_name), params=params,
                       headers={"Content-Type": "application/octet-stream"}, body=artifact.chunks(),
                       body_size=artifact.size)


def release(project_id: int | str, distribution: str, signed: bool = False) -> RequestSpec:
    endpoint = IN_RELEASE if signed else RELEASE
    return RequestSpec(endpoint, endpoint.url_path(project_id=project_id, distribution=distribution))


def packages_index(project_id: int | str, distribution: str, component: str = DEFAULT_COMPONENT,
                   architecture: str = "amd64") -> RequestSpec:
    """A component's `Packages` index for one architecture: every package of the distribution's component."""
    return RequestSpec(PACKAGES_INDEX, PACKAGES_INDEX.url_path(project_id=project_id, distribution=distribution,
                                                               component=component, architecture=architecture))


def download(project_id: int | str, distribution: str, name: str, version: str, file_name: str) -> RequestSpec:
    """`pool/<codename>/<letter>/<name>/<version>/<file>`: the `Filename` a Packages entry gives."""
    return RequestSpec(DOWNLOAD, DOWNLOAD.url_path(project_id=project_id, distribution=distribution,
                                                   letter=letter_of(name), package_name=name,
                                                   package_version=version, file_name=file_name))


def create_distribution(project_id: int | str, codename: str, components: tuple[str, ...] = (DEFAULT_COMPONENT,),
                        architectures: tuple[str, ...] = ARCHITECTURES) -> RequestSpec:
    """`POST /projects/:id/debian_distributions?codename=...` as GitLab's guide shows (components and architectures
    comma-separated, `CommaSeparatedToArray`)."""
    params = {"codename": codename, "components": ",".join(components), "architectures": ",".join(architectures)}
    return RequestSpec(CREATE_DISTRIBUTION, CREATE_DISTRIBUTION.url_path(project_id=project_id), params=params)


def distribution_key(project_id: int | str, codename: str) -> RequestSpec:
    return RequestSpec(DISTRIBUTION_KEY, DISTRIBUTION_KEY.url_path(project_id=project_id, codename=codename))
