"""How gems and their files are named: `<name>-<version>.gem` for the `ruby` platform (what `gem build` writes and
GitLab renames an upload to: ProcessGemService#rename_package_file), `<name>-<version>-<platform>.gem` otherwise."""

from formats.rubygems.rules import DEFAULT_PLATFORM


def gem_file_name(name: str, version: str, platform: str = DEFAULT_PLATFORM) -> str:
    full = f"{name}-{version}" if platform == DEFAULT_PLATFORM else f"{name}-{version}-{platform}"
    return full + ".gem"


def gemspec_file_name(name: str) -> str:
    """The Ruby gemspec GitLab stores beside the gem (CreateGemspecService: "#{gemspec.name}.gemspec")."""
    return f"{name}.gemspec"
