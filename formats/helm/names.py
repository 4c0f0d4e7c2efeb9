"""How Helm spells its files and where a scenario's chart goes: GitLab stores every chart as `<name>-<version>.tgz`
(Packages::Helm::ProcessFileService#file_name), so a scenario's file hint carries no file name; it may name the
channel instead: a hint `<channel>/<anything>` pushes to and pulls from that channel, any other hint uses
`stable`. `file_name` then says `<channel>/<name>-<version>.tgz` for a channel other than `stable`, which is how
`pull` finds the channel again."""

from .rules import CHANNEL_REGEX, DEFAULT_CHANNEL


def chart_file_name(name: str, version: str) -> str:
    return f"{name}-{version}.tgz"


def channel_of(hint: str) -> str:
    """The channel a scenario's file hint names (`<channel>/...`), or the default one."""
    head, slash, _ = hint.partition("/")
    return head if slash and CHANNEL_REGEX.fullmatch(head) else DEFAULT_CHANNEL


def hinted_file_name(name: str, version: str, hint: str) -> str:
    """The chart's file, with its channel in front when that is not the default one."""
    channel = channel_of(hint)
    file_name = chart_file_name(name, version)
    return file_name if channel == DEFAULT_CHANNEL else f"{channel}/{file_name}"


def split_file_name(file_name: str) -> tuple[str, str]:
    """(channel, file name) of what `hinted_file_name` returned."""
    head, slash, tail = file_name.partition("/")
    return (head, tail) if slash else (DEFAULT_CHANNEL, file_name)
