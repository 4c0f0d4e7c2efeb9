"""The Maven format (GitLab's Maven API), one job per module: the rules and endpoints (`rules.py`), coordinates and
paths (`names.py`), the pom and maven-metadata.xml (`documents.py`), a real, streamed jar (`artifacts.py`), the
requests `mvn deploy` sends (`requests.py`), the FormatOperations (`operations.py`), mvn with its image
(`clients.py`).

This package re-exports every name other code imports from `formats.maven`.
"""

from formats.maven.artifacts import PAYLOAD_ENTRY, MavenJar, file_digests
from formats.maven.clients import IMAGES, RECIPES
from formats.maven.documents import artifact_metadata_xml, pom_xml, snapshot_metadata_xml
from formats.maven.names import (
           CHECKSUMS,
           HARNESS_GROUP_ID,
           METADATA_FILE,
           SNAPSHOT,
           SNAPSHOT_BUILD,
           SNAPSHOT_TIMESTAMP,
           Coordinates,
           FileRef,
           coordinates,
           parse_path,
           split_checksum,
)
from formats.maven.operations import OPERATIONS, MavenOperations
from formats.maven.requests import (
           DEPLOY_CHECKSUMS,
           artifact_segments,
           deploy,
           download,
           group_download,
           instance_download,
           upload,
           upload_checksum,
           version_segments,
)
from formats.maven.rules import (
           APP_NAME_PATTERN,
           APP_NAME_RULE,
           DOWNLOAD,
           FILE_NAME_PATTERN,
           FORWARDING,
           GROUP_DOWNLOAD,
           INSTANCE_DOWNLOAD,
           MAVEN,
           PATH_PATTERN,
           PATH_RULE,
           RULES,
           UPLOAD,
           VERIFIED_CHECKSUMS,
           VERIFY_CHECKSUM,
           VERSION_PATTERN,
           forward_url,
)

__all__ = ["APP_NAME_PATTERN", "APP_NAME_RULE", "CHECKSUMS", "Coordinates", "DEPLOY_CHECKSUMS", "DOWNLOAD",
           "FILE_NAME_PATTERN", "FORWARDING", "FileRef", "GROUP_DOWNLOAD", "HARNESS_GROUP_ID", "IMAGES",
           "INSTANCE_DOWNLOAD", "MAVEN", "METADATA_FILE", "MavenJar", "MavenOperations", "OPERATIONS",
           "PATH_PATTERN", "PATH_RULE", "PAYLOAD_ENTRY", "RECIPES", "RULES", "SNAPSHOT", "SNAPSHOT_BUILD",
           "SNAPSHOT_TIMESTAMP", "UPLOAD", "VERIFIED_CHECKSUMS", "VERIFY_CHECKSUM", "VERSION_PATTERN",
           "artifact_metadata_xml", "artifact_segments", "coordinates", "deploy", "download", "file_digests",
           "forward_url", "group_download", "instance_download", "parse_path", "pom_xml", "snapshot_metadata_xml",
           "split_checksum", "upload", "upload_checksum", "version_segments"]
