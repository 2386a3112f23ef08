"""`python -m spi4xl` and the `spi4xl` command: the command line, with Ctrl-C a quiet exit at any moment."""

import sys


def interrupted(exc: BaseException) -> bool:
    """Whether Ctrl-C caused `exc`: Python 3.11 wraps one that lands in a class body's __set_name__ (RuntimeError)."""
    while exc is not None:
        if isinstance(exc, KeyboardInterrupt):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def remove_pending_outputs() -> None:
    """After an interrupt: a write may have begun, so leave no private folder behind (spi4xl.output, if loaded)."""
    if "spi4xl.output" in sys.modules:  # never imported: nothing was written
        sys.modules["spi4xl.output"].remove_pending()


def run() -> int:
    """The command line; an interrupt while Python imports it ends as one later on does (exit 130, one line)."""
    try:
        from spi4xl.cli import main

        return main()
    except BaseException as exc:
        if not interrupted(exc) or isinstance(exc, SystemExit):
            raise
        remove_pending_outputs()
        print("spi4xl: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(run())
