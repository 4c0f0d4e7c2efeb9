"""The NuGet feed's documents, in GitLab's shapes: the v3 service index (Packages::Nuget::ServiceIndexPresenter,
API::Entities::Nuget::ServiceIndex), the registration index and leaf (PackagesMetadataPresenter,
PackageMetadataPresenter, PresenterHelpers, Entities::Nuget::PackagesMetadataItem and PackageMetadataCatalogEntry),
the version list (PackagesVersionsPresenter), search results (SearchResultsPresenter, Entities::Nuget::SearchResult),
and the v2 feed's XML (V2::ServiceIndexPresenter, V2::MetadataIndexPresenter, OdataPackageEntryService)."""

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

from reference_server.db import Row

SERVICE_VERSIONS = {
    "download": ("PackageBaseAddress/3.0.0",),
    "search": ("SearchQueryService", "SearchQueryService/3.0.0-beta", "SearchQueryService/3.0.0-rc"),
    "publish": ("PackagePublish/2.0.0",),
    "metadata": ("RegistrationsBaseUrl", "RegistrationsBaseUrl/3.0.0-beta", "RegistrationsBaseUrl/3.0.0-rc"),
}
SERVICE_COMMENTS = {
    "download": "Get package content (.nupkg).",
    "search": "Filter and search for packages by keyword.",
    "publish": "Push and delete (or unlist) packages.",
    "metadata": "Get package metadata.",
}
SYMBOL_SERVICE = ("SymbolPackagePublish/4.9.0", "Push symbol packages.")  # when the symbol server is enabled
_NUMBER = re.compile(r"\d+")
LATEST_VERSION_PLACEHOLDER = "0.0.0-latest-version"  # OdataPackageEntryService::SEMVER_LATEST_VERSION_PLACEHOLDER


def version_key(version: str) -> tuple[Any, ...]:
    """Versions in VersionSorter's order, near enough: numeric parts as numbers, a pre-release before its
    release."""
    core, _, pre = version.partition("+")[0].partition("-")
    numbers = tuple(int(n) for n in _NUMBER.findall(core))
    return (numbers, 0 if pre else 1, pre)


@dataclass(frozen=True)
class Version:
    """One version of a package as the documents show it: the package row and its newest .nupkg."""

    package: Row
    file_name: str | None
    authors: str = ""
    description: str = ""


def _quoted(value: str) -> str:
    return quote(value, safe="")


def project_base(base_url: str, project_id: int | str) -> str:
    return f"{base_url}/api/v4/projects/{project_id}/packages/nuget"


def group_base(base_url: str, group_id: int | str) -> str:
    return f"{base_url}/api/v4/groups/{group_id}/-/packages/nuget"


def service_index(base: str, symbol_server: bool = False) -> dict[str, Any]:
    urls = {"download": f"{base}/download", "search": f"{base}/query", "publish": base,
            "metadata": f"{base}/metadata"}
    resources = [{"@id": urls[kind], "@type": version, "comment": SERVICE_COMMENTS[kind]}
                 for kind in ("download", "search", "publish", "metadata") for version in SERVICE_VERSIONS[kind]]
    if symbol_server:
        resources.append({"@id": f"{base}/symbolpackage", "@type": SYMBOL_SERVICE[0], "comment": SYMBOL_SERVICE[1]})
    return {"version": "3.0.0", "resources": resources}


def json_url(base_url: str, package: Row) -> str:
    return (f"{project_base(base_url, package['project_id'])}/metadata/{_quoted(package['name'])}/"
            f"{_quoted(package['version'])}.json")


def archive_url(base_url: str, version: Version) -> str:
    package = version.package
    return (f"{project_base(base_url, package['project_id'])}/download/{_quoted(package['name'])}/"
            f"{_quoted(package['version'])}/{_quoted(version.file_name or '')}")


def catalog_entry(base_url: str, version: Version) -> dict[str, Any]:
    package = version.package
    return {"@id": json_url(base_url, package), "authors": "", "dependencyGroups": [], "id": package["name"],
            "version": package["version"], "tags": "", "packageContent": archive_url(base_url, version),
            "summary": ""}


def leaf(base_url: str, version: Version) -> dict[str, Any]:
    """API::Entities::Nuget::PackageMetadata: one version's registration leaf."""
    return {"@id": json_url(base_url, version.package), "packageContent": archive_url(base_url, version),
            "catalogEntry": catalog_entry(base_url, version)}


def registration_index(base_url: str, versions: list[Version]) -> dict[str, Any]:
    """PackagesMetadataPresenter: `count` 1 and one page (`items[0]`) holding every version, lower and upper."""
    ordered = sorted(versions, key=lambda v: version_key(v.package["version"]))
    page = {"@id": json_url(base_url, versions[0].package), "lower": ordered[0].package["version"],
            "upper": ordered[-1].package["version"], "count": len(versions),
            "items": [leaf(base_url, v) for v in versions]}
    return {"count": 1, "items": [page]}


def versions_document(versions: list[Version]) -> dict[str, Any]:
    """PackagesVersionsPresenter: `{"versions": [...]}`, sorted."""
    return {"versions": sorted((v.package["version"] for v in versions), key=version_key)}


def search_results(base_url: str, total: int, groups: list[tuple[str, list[Row]]]) -> dict[str, Any]:
    data = []
    for name, packages in groups:
        latest = max(packages, key=lambda p: version_key(p["version"]))
        data.append({"@type": "Package", "authors": "", "id": name, "title": name, "summary": "",
                     "totalDownloads": 0, "verified": True, "version": latest["version"],
                     "versions": [{"@id": json_url(base_url, p), "version": p["version"], "downloads": 0}
                                  for p in packages],
                     "tags": ""})
    return {"totalHits": total, "data": data}


def v2_service_index(base: str) -> str:
    """V2::ServiceIndexPresenter: the AtomPub service document of the v2 feed."""
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            f'<service xmlns="http://www.w3.org/2007/app" xmlns:atom="http://www.w3.org/2005/Atom" '
            f'xml:base="{escape(base)}/v2"><workspace><atom:title type="text">Default</atom:title>'
            '<collection href="Packages"><atom:title type="text">Packages</atom:title></collection>'
            "</workspace></service>\n")


V2_METADATA = ('<?xml version="1.0" encoding="utf-8"?>\n'
               '<edmx:Edmx Version="1.0" xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx">'
               '<edmx:DataServices xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata" '
               'm:DataServiceVersion="2.0" m:MaxDataServiceVersion="2.0">'
               '<Schema Namespace="NuGetGallery.OData" xmlns="http://schemas.microsoft.com/ado/2006/04/edm">'
               '<EntityType Name="V2FeedPackage" m:HasStream="true"><Key><PropertyRef Name="Id"/>'
               '<PropertyRef Name="Version"/></Key><Property Name="Id" Type="Edm.String" Nullable="false"/>'
               '<Property Name="Version" Type="Edm.String" Nullable="false"/></EntityType></Schema>'
               '<Schema Namespace="NuGetGallery" xmlns="http://schemas.microsoft.com/ado/2006/04/edm">'
               '<EntityContainer Name="V2FeedContext" m:IsDefaultEntityContainer="true">'
               '<EntitySet Name="Packages" EntityType="NuGetGallery.OData.V2FeedPackage"/>'
               '<FunctionImport Name="FindPackagesById" ReturnType="Collection(NuGetGallery.OData.V2FeedPackage)" '
               'EntitySet="Packages"><Parameter Name="id" Type="Edm.String" FixedLength="false" Unicode="false"/>'
               "</FunctionImport></EntityContainer></Schema></edmx:DataServices></edmx:Edmx>\n")


def v2_entry(base: str, name: str, version: str, content_url: str) -> str:
    """OdataPackageEntryService#package_entry: the id URL, the title (the name), `content src` and `d:Version`."""
    shown = escape(version)
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            f'<entry xmlns="http://www.w3.org/2005/Atom" xmlns:d="http://schemas.microsoft.com/ado/2007/08/'
            f'dataservices" xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata" '
            f'xml:base="{escape(base)}/v2">'
            f"<id>{escape(base)}/v2/Packages(Id='{escape(name)}',Version='{shown}')</id>"
            f'<category term="V2FeedPackage" scheme="http://schemas.microsoft.com/ado/2007/08/dataservices/scheme"/>'
            f'<title type="text">{escape(name)}</title><content type="application/zip" src="{escape(content_url)}"/>'
            f"<m:properties><d:Version>{shown}</d:Version></m:properties></entry>\n")
