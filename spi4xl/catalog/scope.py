"""Names of an audit's scope (profiles, modules) as options and settings write them: light, for the command line.

Kept apart from the model so that building the command line (its --profile choices) imports no dataclass.
"""

from __future__ import annotations

import re

PROFILES = ("full", "alinus", "cp")  # the first is the default
CORE_MODULE = "core"  # indicators of no optional module
ALL_MODULES = "all"  # how settings and options say "every module"


def parse_modules(text: str | None) -> tuple[str, ...] | None:
    """Modules as options write them ('all', 'core' for none, 'gender,rural'), lenient on separators and spaces; None (every module) when empty."""
    if text is None or text.strip() in ("", ALL_MODULES):
        return None
    return tuple(m for m in re.split(r"[,\s;]+", text) if m and m != CORE_MODULE)
