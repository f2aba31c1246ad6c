"""The ``techapp`` command: the window for no arguments or ``--demo``, the command line otherwise.

Qt is imported only when the window opens, so ``techapp diagnose ...`` on a
headless box never loads it (and ``python -m techapp`` never imports ``ui``).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence

EXAMPLE_PORT = "COM3" if sys.platform == "win32" else "/dev/ttyACM0"  # as `techapp ports` lists them
CLI_HINT = (
    "Without a window use the command line, "
    f"e.g. `techapp diagnose --demo`, `techapp info --port {EXAMPLE_PORT}` (see `techapp --help`)."
)
HEADLESS_HINT = "techapp: no display for the desktop app here. " + CLI_HINT


def wants_gui(argv: Sequence[str]) -> bool:
    """True for ``techapp`` and ``techapp --demo``; everything else is the command line."""
    return list(argv) in ([], ["--demo"])


def has_display(environ=os.environ) -> bool:
    """False on a Linux box without X11 or Wayland, unless a Qt platform is chosen (offscreen, vnc ...)."""
    if not sys.platform.startswith("linux") or environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def platform_failure(messages: Sequence[str], environ=os.environ) -> str:
    """Why Qt could not open a window, from the messages it logged before giving up.

    A plugin with a missing system library (Qt itself then blames ``libxcb-cursor0``
    whatever is missing) names the libraries and their packages; a plugin that
    loads names the display that did not answer.
    """
    from ui.qtplatform import debian_package, missing_libraries, plugin_file

    text = "\n".join(messages)
    m = re.search(r'Qt platform plugin "([^"]+)" in "([^"]*)"', text)
    platform = m.group(1) if m else (environ.get("QT_QPA_PLATFORM") or "xcb").split(";")[0].split(":")[0]
    try:
        plugin = plugin_file(platform, m.group(2) if m and m.group(2) else None)
        missing = missing_libraries(plugin) if plugin.exists() else []
    except Exception:  # the diagnosis of a failure must not fail itself
        missing = []
    if missing:
        packages = " ".join(dict.fromkeys(debian_package(lib) for lib in missing))
        return (
            f'the Qt platform plugin "{platform}" cannot load: the system libraries {", ".join(missing)} '
            f"are missing (on Debian/Ubuntu: scripts/setup installs them, or sudo apt-get install {packages})"
        )
    if platform == "xcb" and ("could not connect to display" in text or "even though it was found" in text):
        display = environ.get("DISPLAY", "")
        if not display:
            return "no X display is set (DISPLAY is empty)"
        return f"the X display {display!r} does not answer (no X server there, or this user may not use it)"
    if "Could not find the Qt platform plugin" in text:
        return f'Qt has no platform plugin "{platform}" (QT_QPA_PLATFORM)'
    return f'the Qt platform plugin "{platform}" could not start'


def make_qt_app():
    """The QApplication, or None (the reason printed with the command-line hint) when no window can open.

    Qt ends the process with abort() when no platform plugin starts; a message
    handler sees its fatal message first, prints what went wrong instead and
    exits with 2 as when there is no display at all.
    """
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    from ui.app import make_app

    seen: list[tuple[object, str, str]] = []  # (kind, category, message) until the window can open

    def on_message(kind, context, message: str) -> None:
        if kind == QtMsgType.QtFatalMsg and "platform plugin" in message:
            # Qt's own lines before this one blame the wrong library: say what is wrong instead
            reason = platform_failure([m for _k, _c, m in seen])
            print(f"techapp: the desktop app cannot open a window: {reason}.\n{HEADLESS_HINT}", file=sys.stderr)
            sys.stderr.flush()
            sys.stdout.flush()
            os._exit(2)  # Qt would abort() right after this handler returns
        if kind == QtMsgType.QtFatalMsg:  # another fatal error: Qt's words, then Qt aborts as usual
            print(message, file=sys.stderr, flush=True)
        seen.append((kind, getattr(context, "category", None) or "default", message))

    qInstallMessageHandler(on_message)
    try:
        app = make_app()
    finally:
        qInstallMessageHandler(None)  # Qt's own handler once the window can open
    for kind, category, message in seen:  # the window opens: Qt's warnings as Qt would print them
        if kind != QtMsgType.QtDebugMsg:
            print(message if category == "default" else f"{category}: {message}", file=sys.stderr)
    return app


def main(argv: Sequence[str] | None = None) -> int:
    interrupted = _note_interrupts()
    try:
        code = _main(argv)
        if interrupted:  # handled (the command said "interrupted"): its exit code, not CPython's SIGINT status
            for stream in (sys.stdout, sys.stderr):
                if stream is not None:
                    stream.flush()
            os._exit(code)
        return code
    except BaseException as err:
        # Ctrl-C while Qt or the command line is still loading: no traceback. An import cut short by
        # Ctrl-C can also surface as an ImportError of a half-loaded module: the flag tells them apart.
        if isinstance(err, KeyboardInterrupt) or (interrupted and isinstance(err, ImportError)):
            _exit_interrupted()
        raise


def _exit_interrupted() -> None:
    """Say so and exit 2 at once: after an import cut short by Ctrl-C, CPython would otherwise end the
    process by SIGINT (status 130) even though the interrupt was handled; nothing has started yet."""
    print("techapp: interrupted", file=sys.stderr)
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(2)


def _note_interrupts() -> list[bool]:
    """Let Ctrl-C raise KeyboardInterrupt as usual, and remember that it came (a one-item list, truthy after)."""
    import signal

    seen: list[bool] = []

    def on_sigint(signum, frame) -> None:
        seen.append(True)
        raise KeyboardInterrupt

    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, on_sigint)
    return seen


def _main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--version"]:  # answered before the command line's modules load (tests/test_startup.py)
        from techapp import __version__

        print(f"techapp {__version__}")
        return 0
    if wants_gui(args):
        if not has_display():
            print(HEADLESS_HINT, file=sys.stderr)
            return 2
        try:
            from ui.app import run_gui  # absolute: this file is also the frozen app's entry script
        except ImportError as err:  # Qt libraries missing on this system
            print(f"techapp: the desktop app cannot start ({err}).\n{HEADLESS_HINT}", file=sys.stderr)
            return 2
        make_qt_app()
        return run_gui(demo="--demo" in args)
    from techapp.cli import main as cli_main
    from techapp.report import register_renderer

    register_renderer(_report_renderer)  # Qt is loaded only when a report is rendered or printed
    return cli_main(args)


def _report_renderer():
    """The Qt report renderer, on a headless QGuiApplication (offscreen) for the command line."""
    import ui.report_render as report_render

    report_render.ensure_app()
    return report_render.RENDERER


if __name__ == "__main__":
    raise SystemExit(main())
