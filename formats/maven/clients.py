"""Real clients of the Maven format: mvn (Apache Maven), configured only by a settings.xml in the working directory;
the image it runs in.

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
from core.credentials import basic_user
from core.images import BASE_IMAGE, DEFAULT_PATH, ImageRecipe, Variant, apt_install
from core.vocabulary import HEADER_FOR_KIND, AuthScheme
from formats.maven.names import coordinates
from formats.maven.rules import MAVEN, PROJECT_REPOSITORY

# Java does not read the PEM bundle: it has its own keystore, so the official Maven image imports the local CAs.
# (The Debian fallback gets them through ca-certificates-java, which reads /usr/local/share/ca-certificates.)
JAVA_TRUST_LOCAL_CAS = ('RUN for f in /usr/local/share/ca-certificates/*.crt; do [ -f "$f" ] || continue; '
                        'keytool -importcert -noprompt -cacerts -storepass changeit -alias "local-$(basename "$f")" '
                        '-file "$f" >/dev/null || exit 1; done')

MAVEN_IMAGE = ImageRecipe(
    name="maven",
    programs={"java": "java -version", "mvn": "mvn --batch-mode --version"},
    official=Variant("maven:3.9-eclipse-temurin-21", (JAVA_TRUST_LOCAL_CAS,)),
    # Debian's maven-repo holds the deploy and dependency plugins, so no plugin has to come from Maven Central.
    fallback=Variant(BASE_IMAGE, (
        apt_install("maven", "libmaven-deploy-plugin-java", "libmaven-dependency-plugin-java", "junit4",
                    "ca-certificates"),
    ), {"PATH": DEFAULT_PATH}),
)

SETTINGS = "settings.xml"
REPOSITORY_ID = "gitlab"
DEBIAN_REPOSITORY = "/usr/share/maven-repo"
PULLED = "pulled"


def repository_url(target: ClientTarget) -> str:
    """The project-level Maven repository: `.../api/v4/projects/<id>/packages/maven`."""
    return target.registry_url + PROJECT_REPOSITORY.format(project_id=target.project_id)


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
    else:  # GitLab takes a job token in Basic under the user name gitlab-ci-token (credentials.basic_user)
        auth = f"<username>{escape(basic_user(credential))}</username><password>{token}</password>"
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
    format = MAVEN.name
    image = MAVEN_IMAGE.name
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
            pom = file_name.removesuffix(".jar") + ".pom"  # the jar's companion (formats.maven.artifacts.MavenJar)
            return ClientCall([*common, "deploy:deploy-file", f"-Dfile={file_name}", f"-DpomFile={pom}",
                               f"-DrepositoryId={REPOSITORY_ID}", f"-Durl={repository_url(target)}"], files, env)
        if op == "pull":
            # stripVersion: the copy is `<artifactId>.jar` whatever timestamp a SNAPSHOT was deployed with.
            return ClientCall([*common, "dependency:copy", f"-Dartifact={coords.gav}", f"-DoutputDirectory={PULLED}",
                               "-Dmdep.stripVersion=true", "-Dmdep.overWriteReleases=true"], files, env,
                              output=f"{PULLED}/{coords.artifact_id}.jar")
        raise ValueError(f"mvn does not do {op} for Maven packages")


RECIPES = (Mvn(),)
IMAGES = (MAVEN_IMAGE,)
