"""Errors a user can act on: a stable code, one line in the user's language, never a traceback.

Like findings, errors are data: `Spi4xlError("read.not_spi4xl", path=...)` names a template
`error.read.not_spi4xl` in spi4xl/ui/en/errors.yaml (translated in ui/fr.po and ui/es.po like every
interface string). The code stays the same in every language; `message(lang)` gives the text and
`line(lang)` the text with its code. A code without a template is a programming error (KeyError);
tests/test_errors.py checks that every code raised in the package has its templates.
This module imports nothing of spi4xl at load time: the interface strings are looked up when shown.
"""

from __future__ import annotations

from typing import Any


def _fill(key: str, lang: str, values: dict[str, Any]) -> str | None:
    """A UI template filled with `values`; None when the interface strings themselves cannot be loaded."""
    from spi4xl.ui import ui

    try:
        template = ui(key, lang)
    except Spi4xlError:  # a broken spi4xl/ui file: its own error must still be shown, so the caller falls back
        return None
    return template.format(**values)


def _language(lang: str | None) -> str:
    from spi4xl.ui import ui_language

    return lang or ui_language()


def shown(text: str, width: int = 60) -> str:
    """A text from a file or a command line, cut to `width` characters for a one-line message."""
    return text if len(text) <= width else text[: width - 3] + "..."


class Spi4xlError(Exception):
    """An expected failure (bad input, wrong file, broken catalog) shown as one line."""

    def __init__(self, code: str, /, **params: Any) -> None:
        self.code, self.params = code, params
        super().__init__(code)

    def message(self, lang: str | None = None) -> str:
        """The text of `error.<code>` in `lang` (default: the interface language, see spi4xl.ui.ui_language)."""
        text = _fill(f"error.{self.code}", _language(lang), self.params)
        return text if text is not None else f"{self.code} {self.params}"

    def line(self, lang: str | None = None) -> str:
        """The message with its code (`error [read.not_spi4xl]: ...`): what the CLI, buttons and add-in show."""
        lang = _language(lang)
        message = self.message(lang)
        text = _fill("shown.error", lang, {"code": self.code, "message": message})
        return text if text is not None else f"error [{self.code}]: {message}"

    def __str__(self) -> str:
        return self.message()

    def __reduce__(self) -> tuple:  # keyword params survive pickling: batch workers send errors back as data
        return _rebuild, (type(self), self.__dict__)


def _rebuild(cls: type[Spi4xlError], state: dict[str, Any]) -> Spi4xlError:
    err = cls.__new__(cls)
    Exception.__init__(err, state["code"])
    err.__dict__.update(state)
    return err


class CatalogError(Spi4xlError):
    """A catalog file is malformed: the file, the key path, a problem and how to fix it.

    The problem is the template `error.<code>`, the fix `error.<code>.fix`, both filled from the
    params; shown as `file: key.path: problem (fix: hint)`.
    """

    def __init__(self, code: str, file: str, path: str, /, **params: Any) -> None:
        super().__init__(code, **params)
        self.file, self.path = file, path

    @property
    def problem(self) -> str:
        return super().message()

    @property
    def hint(self) -> str:
        return self.fix()

    def fix(self, lang: str | None = None) -> str:
        text = _fill(f"error.{self.code}.fix", _language(lang), self.params)
        return text if text is not None else f"{self.code}.fix"

    def message(self, lang: str | None = None) -> str:
        lang = _language(lang)
        where = f"{self.file}: {self.path}" if self.path else self.file
        problem, fix = super().message(lang), self.fix(lang)
        text = _fill("shown.catalog", lang, {"where": where, "problem": problem, "fix": fix})
        return text if text is not None else f"{where}: {problem} (fix: {fix})"
