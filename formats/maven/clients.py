"""Real clients of the Maven format: mvn (Apache Maven), configured only by a settings.xml in the working directory.

Push is `mvn deploy:deploy-file` (the jar and its pom, their checksums and maven-metadata.xml, as `mvn deploy`
sends them); pull is `mvn dependency:copy` of the coordinates into `pulled/<artifactId>.jar`, the exact jar.

Offline by design: Maven Central is not reachable where the harness runs, so where Debian's Maven repository
(`/usr/share/maven-repo`, filled by the `maven` and `libmaven-*-plugin-java` packages) exists, a settings profile
activated by that directory makes it Maven's `central`, for plugins and their dependencies. The official Maven image
has no such directory: there the profile stays off and Maven Central is used as usual. The registry is the
repository `gitlab`, declared in an active profile so `dependency:copy` resolves from it.

The token is in settings.xml only: in an `httpHeaders` property (`Private-Token`, `Deploy-Token` or `Job-Token`)
for the header scheme, or as the server's user name and password for Basic, which Maven sends only after the
registry's `401` with `WWW-Authenticate: Basic` (a registry that answers `404` instead never gets credentials).
"""

from xml.sax.saxutils import escape

from core.client_recipe import ClientCall, ClientOp, ClientRecipe, ClientTarget
from core.vocabulary import HEADER_FOR_KIND, AuthScheme, TokenKind
from formats.maven import DOWNLOAD, coordinates

SETTINGS = "settings.xml"
REPOSITORY_ID = "gitlab"
DEBIAN_REPOSITORY = "/usr/share/maven-repo"
PULLED = "pulled"
JOB_TOKEN_USER = "gitlab-ci-token"


def repository_url(target: ClientTarget) -> str:
    """The project-level Maven repository: `.../api/v4/projects/<id>/packages/maven`."""
    return target.registry_url + DOWNLOAD.path.replace("{project_id}", str(target.project_id)).removesuffix(
        "/{path:path}")


def _server(target: ClientTarget) -> str:
    """The `<server>` entry that carries the token, or none when anonymous."""
    credential = target.credential
    if credential.token is None or credential.kind is None or target.scheme is AuthScheme.NONE:
        return ""
    token = escape(credential.token)
    if target.scheme is AuthScheme.HEADER:
        header = HEADER_FOR_KIND[credential.kind]
        auth = (f"<configuration><httpHeaders><property><name>{header}</name><value>{token}</value></property>"
                "</httpHeaders></configuration>")
    else:  # GitLab takes a job token in Basic under the user name gitlab-ci-token
        username = JOB_TOKEN_USER if credential.kind is TokenKind.JOB_TOKEN else credential.username
        auth = f"<username>{escape(username)}</username><password>{token}</password>"
    return f"\n    <server><id>{REPOSITORY_ID}</id>{auth}</server>"


def settings_xml(target: ClientTarget) -> str:
    """Maven's settings: a local repository inside the working directory, the registry as the repository `gitlab`,
    Debian's repository as `central` where it exists, and the token."""
    debian = f"file://{DEBIAN_REPOSITORY}"
    quiet = "<releases><checksumPolicy>ignore</checksumPolicy></releases>"  # Debian's repository has no checksums
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<settings xmlns="http://maven.apache.org/SETTINGS/1.0.0">
  <localRepository>${{user.dir}}/.m2/repository</localRepository>
  <interactiveMode>false</interactiveMode>
  <servers>{_server(target)}
  </servers>
  <profiles>
    <profile>
      <id>registry</id>
      <repositories>
        <repository><id>{REPOSITORY_ID}</id><url>{escape(repository_url(target))}</url></repository>
      </repositories>
    </profile>
    <profile>
      <id>debian-offline</id>
      <activation><file><exists>{DEBIAN_REPOSITORY}</exists></file></activation>
      <repositories>
        <repository><id>central</id><url>{debian}</url>{quiet}</repository>
      </repositories>
      <pluginRepositories>
        <pluginRepository><id>central</id><url>{debian}</url>{quiet}</pluginRepository>
      </pluginRepositories>
    </profile>
  </profiles>
  <activeProfiles><activeProfile>registry</activeProfile></activeProfiles>
</settings>
"""


# A one-shot command line: the JVM's quick start (no optimizing JIT, serial GC) saves about a third of a short
# mvn run, and changes nothing the registry sees.
FAST_START = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"


class Mvn(ClientRecipe):
    name = "mvn"
    format = "maven"
    image = "maven"
    program = "mvn"
    version_argv = ["mvn", "--version"]
    schemes = (AuthScheme.HEADER, AuthScheme.BASIC)
    operations = frozenset({"push", "pull"})

    def call(self, op: ClientOp, target: ClientTarget, name: str, version: str, file_name: str) -> ClientCall:
        common = ["mvn", "--batch-mode", "--no-transfer-progress", "--settings", SETTINGS]
        files = {SETTINGS: settings_xml(target)}
        env = {"MAVEN_OPTS": FAST_START}
        coords = coordinates(name, version)
        if op == "push":
            pom = file_name.removesuffix(".jar") + ".pom"  # the jar's companion (formats.maven.MavenJar)
            return ClientCall([*common, "deploy:deploy-file", f"-Dfile={file_name}", f"-DpomFile={pom}",
                               f"-DrepositoryId={REPOSITORY_ID}", f"-Durl={repository_url(target)}"], files, env)
        if op == "pull":
            # stripVersion: the copy is `<artifactId>.jar` whatever timestamp a SNAPSHOT was deployed with.
            return ClientCall([*common, "dependency:copy", f"-Dartifact={coords.gav}", f"-DoutputDirectory={PULLED}",
                               "-Dmdep.stripVersion=true", "-Dmdep.overWriteReleases=true"], files, env,
                              output=f"{PULLED}/{coords.artifact_id}.jar")
        raise ValueError(f"mvn does not do {op} for Maven packages")


RECIPES = (Mvn(),)
