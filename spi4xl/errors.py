"""Errors a user can act on: one line, what went wrong, where, and how to fix it."""

from __future__ import annotations


class Spi4xlError(Exception):
    """An expected failure (bad input, wrong file, broken catalog) shown as one line, never a traceback."""


class CatalogError(Spi4xlError):
    """A catalog file is malformed; names the file, the key path and the fix."""

    def __init__(self, file: str, path: str, message: str, hint: str = "") -> None:
        self.file, self.path, self.message, self.hint = file, path, message, hint
        where = f"{file}: {path}" if path else file
        super().__init__(f"{where}: {message}" + (f" (fix: {hint})" if hint else ""))
