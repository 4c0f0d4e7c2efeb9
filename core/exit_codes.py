"""Exit codes of every command, defined once (the README's table says which to gate on)."""

from enum import IntEnum


class ExitCode(IntEnum):
    READY = 0  # every criterion passed or is signed off; a load whose thresholds held; a command that did its job
    NOT_READY = 1  # the target failed a check, or a criterion is still unchecked and unsigned; leftovers remain
    CONFIG = 2  # bad configuration or scenario: the message names the option, or the file, line and field
    THRESHOLD = 3  # only thresholds were broken (latency, throughput) or a load finding
    HARNESS = 4  # the harness or its environment broke; never counted as the target's failure
    INTERRUPTED = 130  # Ctrl-C: what was measured is written
