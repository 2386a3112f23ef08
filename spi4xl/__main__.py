"""`python -m spi4xl` and the `spi4xl` command: the command line, with Ctrl-C a quiet exit at any moment."""

import gc
import sys
import _thread


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


def _deliver_swallowed_interrupt(unraisable) -> None:
    """Ctrl-C landing in a callback Python cannot raise from (a weakref's, such as the import system's module
    locks; a finalizer's) would print "Exception ignored ... KeyboardInterrupt" and be lost: deliver it again to
    the main thread, where it stops the command as any other Ctrl-C does. From another thread, a moment later:
    delivered from here, it would land in this hook, where it is swallowed too."""
    if issubclass(unraisable.exc_type, KeyboardInterrupt):
        import threading

        redeliver = threading.Timer(0.01, _thread.interrupt_main)
        redeliver.daemon = True
        redeliver.start()
    else:
        sys.__unraisablehook__(unraisable)


def run() -> int:
    """The command line; an interrupt while Python imports it ends as one later on does (exit 130, one line).

    For the process's entry points only (the `spi4xl` script, `python -m spi4xl`): once the command is done, every
    object is moved out of the collector's reach (gc.freeze), so Python's exit no longer walks and collects them
    all (~10 % of a short command such as `spi4xl score`); atexit handlers, the flushing of the standard streams
    and the ending of worker processes still run. Every output is complete before the command returns."""
    sys.unraisablehook = _deliver_swallowed_interrupt
    try:
        from spi4xl.cli import main

        code = main()
        gc.freeze()
        return code
    except BaseException as exc:
        if not interrupted(exc) or isinstance(exc, SystemExit):
            raise
        remove_pending_outputs()
        print("spi4xl: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(run())
