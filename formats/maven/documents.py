"""Maven's XML documents: a jar's pom, the artifact-level maven-metadata.xml, a SNAPSHOT's version-level one."""

from xml.sax.saxutils import escape

from formats.maven.names import SNAPSHOT, SNAPSHOT_BUILD, SNAPSHOT_TIMESTAMP, Coordinates


def pom_xml(coords: Coordinates, seed: int = 0) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>{escape(coords.group_id)}</groupId>
  <artifactId>{escape(coords.artifact_id)}</artifactId>
  <version>{escape(coords.version)}</version>
  <packaging>jar</packaging>
  <description>Built by the registry rollout harness (seed {seed}).</description>
</project>
""".encode()


def artifact_metadata_xml(group_id: str, artifact_id: str, versions: list[str], last_updated: str) -> bytes:
    """The artifact-level maven-metadata.xml: every version, oldest first; `latest` is the newest, `release` the
    newest that is not a SNAPSHOT. `last_updated` is yyyyMMddHHmmss (UTC)."""
    releases = [v for v in versions if not v.endswith(SNAPSHOT)]
    latest = f"\n    <latest>{escape(versions[-1])}</latest>" if versions else ""
    release = f"\n    <release>{escape(releases[-1])}</release>" if releases else ""
    listed = "".join(f"\n      <version>{escape(v)}</version>" for v in versions)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<metadata>
  <groupId>{escape(group_id)}</groupId>
  <artifactId>{escape(artifact_id)}</artifactId>
  <versioning>{latest}{release}
    <versions>{listed}
    </versions>
    <lastUpdated>{last_updated}</lastUpdated>
  </versioning>
</metadata>
""".encode()


def snapshot_metadata_xml(coords: Coordinates, extensions: tuple[str, ...] = ("jar", "pom")) -> bytes:
    """The version-level maven-metadata.xml of a SNAPSHOT: which timestamped file is the current one."""
    updated = SNAPSHOT_TIMESTAMP.replace(".", "")
    entries = "".join(f"""
      <snapshotVersion>
        <extension>{extension}</extension>
        <value>{escape(coords.file_version)}</value>
        <updated>{updated}</updated>
      </snapshotVersion>""" for extension in extensions)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<metadata modelVersion="1.1.0">
  <groupId>{escape(coords.group_id)}</groupId>
  <artifactId>{escape(coords.artifact_id)}</artifactId>
  <version>{escape(coords.version)}</version>
  <versioning>
    <snapshot>
      <timestamp>{SNAPSHOT_TIMESTAMP}</timestamp>
      <buildNumber>{SNAPSHOT_BUILD}</buildNumber>
    </snapshot>
    <lastUpdated>{updated}</lastUpdated>
    <snapshotVersions>{entries}
    </snapshotVersions>
  </versioning>
</metadata>
""".encode()
