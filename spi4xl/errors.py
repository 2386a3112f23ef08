"""Errors a user can act on: a stable code, one line in the user's language, never a traceback.

Like findings, errors are data: `Spi4xlError("read.not_spi4xl", path=...)` names a template
`error.read.not_spi4xl` in spi4xl/ui/en/errors.yaml (translated in ui/fr.po and ui/es.po like every
interface string). The code stays the same in every language; `message(lang)` gives the text.
This module imports nothing of spi4xl at load time: the interface strings are looked up when shown.
"""

from __future__ import annotations

from typing import Any


def shown(text: str, width: int = 60) -> str:
    """A text from a file or a command line, cut to `width` characters for a one-line message."""
    return text if len(text) <= width else text[: width - 3] + "..."


class Spi4xlError(Exception):
    """An expected failure (bad input, wrong file, broken catalog) shown as one line."""

    def __init__(self, code: str, /, **params: Any) -> None:
        self.code, self.params = code, params
        super().__init__(code)

    def message(self, lang: str | None = None) -> str:
        from spi4xl.ui import has_ui, ui, ui_language

        key = f"error.{self.code}"
        if not has_ui(key):  # transition: messages not yet given a code are their own text
            return self.code
        return ui(key, lang or ui_language(), **self.params)

    def __str__(self) -> str:
        return self.message()


class CatalogError(Spi4xlError):
    """A catalog file is malformed; names the file, the key path and the fix."""

    def __init__(self, file: str, path: str, message: str, hint: str = "") -> None:
        self.file, self.path, self.problem, self.hint = file, path, message, hint
        where = f"{file}: {path}" if path else file
        super().__init__(f"{where}: {message}" + (f" (fix: {hint})" if hint else ""))
