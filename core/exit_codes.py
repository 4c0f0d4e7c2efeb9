"""Exit codes of every command, defined once (the README's table says which to gate on).

A run's codes from worst to gentlest: HARNESS (nothing could be judged), NOT_READY (the target failed a check),
THRESHOLD (only thresholds broke), NEEDS_SIGN_OFF (every check a command can make passed; criteria no case
checked wait for a person), READY. A run in several of these states exits with the worst: a failed check and a
broken threshold exit NOT_READY, a broken threshold and a missing sign-off exit THRESHOLD.
"""

from enum import IntEnum


class ExitCode(IntEnum):
    READY = 0  # every criterion passed or is signed off; a load whose thresholds held; a command that did its job
    NOT_READY = 1  # the target failed a check (or a selected case did not run under --gate selection); leftovers
    CONFIG = 2  # bad configuration or scenario: the message names the option, or the file, line and field
    THRESHOLD = 3  # only thresholds were broken (latency, throughput) or a load finding
    HARNESS = 4  # the harness or its environment broke, or the target is not GitLab; never the target's failure
    NEEDS_SIGN_OFF = 5  # nothing failed, but criteria no case checked are neither checked nor signed off
    INTERRUPTED = 130  # Ctrl-C: what was measured is written
