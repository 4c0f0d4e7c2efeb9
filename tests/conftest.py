"""The README's test command runs the conformance suite at the sizes CI uses, so a user running it gets what CI gets.

`harness run` (the README's main job) keeps the full sizes. This file is loaded with the tests (`testpaths`),
before the harness plugin reads its settings; a value already in the environment wins.
"""

import os

from helpers_run import CI_SIZES

for _name, _value in CI_SIZES.items():
    os.environ.setdefault(_name, _value)
