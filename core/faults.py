"""Named faults: each makes the server misbehave in exactly one way, so the harness can prove a check fails.

Start the server with `--fault NAME` (repeatable) or `ServerSettings(faults=...)`.
"""

from collections.abc import Iterable
from enum import StrEnum


class Fault(StrEnum):
    ANONYMOUS_404 = "anonymous_404"
    ACCEPT_REVOKED_TOKENS = "accept_revoked_tokens"
    IGNORE_EXPIRY = "ignore_expiry"
    READ_ONLY_DEPLOY_CAN_WRITE = "read_only_deploy_can_write"
    IGNORE_REJECT_DUPLICATES = "ignore_reject_duplicates"
    OLDEST_FILE_WINS = "oldest_file_wins"
    CORRUPT_DOWNLOAD = "corrupt_download"
    LIST_SHOWS_HIDDEN = "list_shows_hidden"
    NO_SIZE_LIMIT = "no_size_limit"
    READ_BODY_BEFORE_AUTH = "read_body_before_auth"
    DUPLICATE_RACE = "duplicate_race"
    JOB_TOKEN_BASIC_REFUSED = "job_token_basic_refused"
    OTHER_PROJECT_TOKEN_ALLOWED = "other_project_token_allowed"
    SLOW_LIST = "slow_list"
    PYPI_FILE_LINKS_PUBLIC = "pypi_file_links_public"
    GROUP_SIMPLE_INDEX_PUBLIC = "group_simple_index_public"
    MAVEN_DEPLOY_TOKEN_REFUSED = "maven_deploy_token_refused"
    PYPI_JOB_TOKEN_REFUSED = "pypi_job_token_refused"
    SLOW_METADATA = "slow_metadata"
    METADATA_N_PLUS_ONE = "metadata_n_plus_one"
    EVENTS_NOT_TRACKED = "events_not_tracked"
    NO_FORMAT_GUARD = "no_format_guard"
    LOOSE_NAME_RULE = "loose_name_rule"
    AT_LIMIT_REFUSED = "at_limit_refused"
    PROCESSING_STUCK = "processing_stuck"
    PROTECTION_RULES_IGNORED = "protection_rules_ignored"
    GUEST_PUSH_ALLOWED = "guest_push_allowed"
    PUBLIC_PROJECT_HIDDEN = "public_project_hidden"
    REGISTRY_ACCESS_IGNORED = "registry_access_ignored"
    BEARER_ONLY_NPM = "bearer_only_npm"
    GO_LIST_NEWEST_ONLY = "go_list_newest_only"
    GO_ZIP_NO_PREFIX = "go_zip_no_prefix"
    JOB_TOKEN_SCOPE_IGNORED = "job_token_scope_ignored"
    FORWARDING_IGNORED = "forwarding_ignored"
    PROTECTION_MESSAGE_MISSING = "protection_message_missing"
    RUBYGEMS_DEPENDENCIES_OMIT_NEWEST = "rubygems_dependencies_omit_newest"
    BACKGROUND_GUARD_SKIPPED = "background_guard_skipped"
    HELM_CHANNEL_IGNORED = "helm_channel_ignored"
    COMPOSER_STALE_CACHE = "composer_stale_cache"
    METADATA_NEVER_INVALIDATED = "metadata_never_invalidated"
    METADATA_DROPS_NEWEST = "metadata_drops_newest"
    METADATA_WRONG_CHECKSUMS = "metadata_wrong_checksums"
    METADATA_WRONG_FILE_URL = "metadata_wrong_file_url"
    REVOKE_DOES_NOTHING = "revoke_does_nothing"
    GROUP_DELETE_DOES_NOTHING = "group_delete_does_nothing"
    SETTINGS_NOT_SAVED = "settings_not_saved"
    NUGET_REGISTRATION_FIRST_ONLY = "nuget_registration_first_only"
    DEBIAN_INDEX_STALE = "debian_index_stale"
    TERRAFORM_VERSIONS_NEWEST_ONLY = "terraform_versions_newest_only"
    CONAN_SEARCH_OMITS_NEWEST = "conan_search_omits_newest"


DESCRIPTIONS: dict[Fault, str] = {
    Fault.ANONYMOUS_404: "anonymous requests get 404 without WWW-Authenticate instead of the 401 Basic challenge",
    Fault.ACCEPT_REVOKED_TOKENS: "revoked tokens still authenticate",
    Fault.IGNORE_EXPIRY: "expired tokens still authenticate",
    Fault.READ_ONLY_DEPLOY_CAN_WRITE: "a deploy token with only read_package_registry may upload",
    Fault.IGNORE_REJECT_DUPLICATES: "the group's 'reject duplicates' setting is ignored",
    Fault.OLDEST_FILE_WINS: "a download serves the oldest file of that name, not the most recent",
    Fault.CORRUPT_DOWNLOAD: "a download flips the first byte of the served file",
    Fault.LIST_SHOWS_HIDDEN: "the package list shows hidden packages",
    Fault.NO_SIZE_LIMIT: "uploads larger than the format's size limit are accepted",
    Fault.READ_BODY_BEFORE_AUTH: "uploads read the whole body (sending 100 Continue) before refusing",
    Fault.DUPLICATE_RACE: "concurrent uploads to a new package (any format) race to create it and may answer 500"
                          " or leave two packages of one name and version",
    Fault.JOB_TOKEN_BASIC_REFUSED: "a job token sent with HTTP Basic is refused with 401",
    Fault.OTHER_PROJECT_TOKEN_ALLOWED: "any valid token gets access to every project",
    Fault.SLOW_LIST: "the package list sleeps 0.5 s before answering",
    Fault.PYPI_FILE_LINKS_PUBLIC: "a private PyPI package's file download URL is served without authentication",
    Fault.GROUP_SIMPLE_INDEX_PUBLIC: "the group-level PyPI simple index of a private group answers anonymous requests",
    Fault.MAVEN_DEPLOY_TOKEN_REFUSED: "deploy tokens (project and group) are refused by the Maven endpoints",
    Fault.PYPI_JOB_TOKEN_REFUSED: "CI job tokens are refused by the PyPI endpoints",
    Fault.SLOW_METADATA: "every metadata request (npm packument, PyPI simple page, maven-metadata.xml, Packages API"
                         " list) waits 0.6 s before answering",
    Fault.METADATA_N_PLUS_ONE: "metadata documents are not cached and are built with a check inside the loop over"
                               " versions that re-reads every version: the cost grows with versions squared",
    Fault.EVENTS_NOT_TRACKED: "push and pull events are not counted in /-/metrics (package_events), for any format",
    Fault.NO_FORMAT_GUARD: "npm and PyPI store and answer as a success an upload whose file is not a package of the"
                           " format (a tarball without package/package.json, a wheel or sdist that is no distribution)",
    Fault.LOOSE_NAME_RULE: "package names are not checked against the format's name rule on upload (versions still"
                           " are): a name the rule refuses is stored, unless it cannot be stored or routed at all",
    Fault.AT_LIMIT_REFUSED: "the size limit is off by one: a file of exactly the format's limit is refused as too large"
                            " (size >= limit), by its declared length and while it is read",
    Fault.PROCESSING_STUCK: "a newly pushed version stays in the 'processing' state (metadata extraction never ends):"
                            " the push succeeds, but the version is missing from the metadata document and its files"
                            " answer 404",
    Fault.PROTECTION_RULES_IGNORED: "package protection rules are not enforced: any member who may publish pushes a"
                                    " protected package",
    Fault.GUEST_PUSH_ALLOWED: "a guest or reporter may publish packages (the role check stops at read)",
    Fault.PUBLIC_PROJECT_HIDDEN: "a public or internal project's packages are refused to anyone who is not a member"
                                 " (anonymous 401, another user's token 404), as if the project were private",
    Fault.REGISTRY_ACCESS_IGNORED: "the project's package_registry_access_level is ignored (disabled still serves,"
                                   " public is members only)",
    Fault.JOB_TOKEN_SCOPE_IGNORED: "the CI/CD job token allowlist is not enforced: any project's job token reaches"
                                   " every project its user may see",
    Fault.PROTECTION_MESSAGE_MISSING: "a push refused by a protection rule gets a bare 403, without GitLab's "
                                      "'Package protected.'",
    Fault.BEARER_ONLY_NPM: "deploy and job tokens over Bearer are read by npm's routes only: elsewhere they are 401,"
                           " as a token found nowhere",
    Fault.FORWARDING_IGNORED: "the group's package request forwarding is ignored: a package the registry does not"
                              " have is answered 404 even when the group forwards npm, PyPI or Maven requests to the"
                              " public registry",
    Fault.RUBYGEMS_DEPENDENCIES_OMIT_NEWEST: "the RubyGems dependency API (api/v1/dependencies) leaves out the newest"
                                             " version of each gem, so Bundler cannot resolve a gem just pushed",
    Fault.BACKGROUND_GUARD_SKIPPED: "the background processing keeps a file that is no package (a format whose guard"
                                    " runs there: RubyGems) as an installable package instead of destroying it",
    Fault.NUGET_REGISTRATION_FIRST_ONLY: "NuGet's registration index (metadata/<id>/index.json) lists only the first"
                                         " version published, so a client never resolves a newer one (GitLab's"
                                         " PackagesMetadataPresenter lists every version the PackageFinder finds)",
    Fault.HELM_CHANNEL_IGNORED: "Helm's index.yaml and chart downloads ignore the channel: a channel lists and serves"
                                " the charts of every channel (GitLab's finders select files by their channel:"
                                " PackageFile.for_helm_with_channel)",
    Fault.GO_LIST_NEWEST_ONLY: "a Go module's @v/list names only its highest version, so `go` never sees the older"
                               " ones (GitLab's VersionFinder lists every valid semver tag)",
    Fault.GO_ZIP_NO_PREFIX: "a Go module's .zip holds its files without the `<module>@<version>/` folder GitLab's "
                            "ModuleVersion#archive puts them in, so Go's hash of it is not the module's",
    Fault.COMPOSER_STALE_CACHE: "Composer's p2 document is the cache page written at a package's first publish and"
                                " never rewritten (GitLab's Gitlab::Composer::Cache): later versions are missing",
    Fault.METADATA_NEVER_INVALIDATED: "every format's metadata document is served as it was first built, as a cache"
                                      " in front of the registry that is never invalidated: later versions never"
                                      " appear and deleted ones never go",
    Fault.METADATA_DROPS_NEWEST: "the npm packument and the PyPI simple page leave out the newest version",
    Fault.METADATA_WRONG_CHECKSUMS: "the npm packument's shasum and integrity and the PyPI simple page's #sha256= are"
                                    " not those of the files served",
    Fault.METADATA_WRONG_FILE_URL: "the npm packument's tarball URLs and the PyPI simple page's links name a file"
                                   " the registry does not have",
    Fault.REVOKE_DOES_NOTHING: "revoking a personal access token answers 204 and leaves it active",
    Fault.GROUP_DELETE_DOES_NOTHING: "deleting a group answers 202 and keeps it, with everything in it",
    Fault.SETTINGS_NOT_SAVED: "the package settings mutation saves nothing and answers the settings as they were",
    Fault.DEBIAN_INDEX_STALE: "a Debian distribution's indexes (Packages, Release) are the ones generated when it was"
                              " created, never regenerated after a processed upload (GitLab's"
                              " ProcessPackageFileService queues GenerateDistributionWorker after each one): no"
                              " package pushed since is listed, and apt cannot install it",
    Fault.TERRAFORM_VERSIONS_NEWEST_ONLY: "a Terraform module's versions document (the registry protocol's"
                                          " `:namespace/:name/:system/versions`) lists only its newest version, so"
                                          " `terraform init` cannot pick an older one (GitLab's ModulesPresenter"
                                          " lists every version of the name in the namespace)",
    Fault.CONAN_SEARCH_OMITS_NEWEST: "the Conan recipe search (conans/search) leaves out each recipe's newest version,"
                                     " so `conan search`/`conan list` never show a version just uploaded (GitLab's"
                                     " Packages::Conan::SearchService lists every recipe the query matches)",
}


def parse_faults(names: Iterable[str]) -> frozenset[Fault]:
    """The faults named, or ValueError naming the unknown one and listing the known ones."""
    faults = set()
    for name in names:
        try:
            faults.add(Fault(name))
        except ValueError:
            known = ", ".join(f.value for f in Fault)
            raise ValueError(f"unknown fault {name!r}; known faults: {known}") from None
    return frozenset(faults)
