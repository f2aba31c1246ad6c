"""Typed errors of the terminal link.

Every error carries the *action* that failed, in the technician's words
("reading terminal parameters"), so that a message shown to a person says what
was being done, not only what went wrong. pyserial and OS errors are converted
at the boundary with ``raise ... from err``.
"""

from __future__ import annotations


class TerminalError(Exception):
    """Base of every error raised by a terminal driver."""

    def __init__(self, message: str, *, action: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.action = action

    def __str__(self) -> str:
        if self.action:
            return f"{self.action}: {self.message}"
        return self.message


class DriverNotAvailable(TerminalError):
    """The requested driver is unknown or one of its dependencies is missing."""


class PortNotAvailable(TerminalError):
    """The port could not be opened (absent, busy, permission denied, bad URL)."""


class LinkError(TerminalError):
    """The serial link itself failed."""


class Disconnected(LinkError):
    """The cable was pulled, the adapter vanished or the peer closed the link."""


class LinkTimeout(LinkError):
    """The terminal did not answer in time (after the allowed retries)."""


class ProtocolError(LinkError):
    """Bytes arrived but did not make a valid frame or message."""


class AuthenticationError(TerminalError):
    """Maintenance login did not succeed."""


class AuthenticationFailed(AuthenticationError):
    """Wrong maintenance password."""

    def __init__(self, message: str, *, attempts_left: int | None, action: str | None = None):
        super().__init__(message, action=action)
        self.attempts_left = attempts_left


class LockedOut(AuthenticationError):
    """Maintenance mode is locked after too many failed logins."""

    def __init__(self, message: str, *, seconds_left: int | None, action: str | None = None):
        super().__init__(message, action=action)
        self.seconds_left = seconds_left


class RefusedByTerminal(TerminalError):
    """The terminal understood the request and refused it, with a reason."""

    def __init__(
        self,
        message: str,
        *,
        code: int,
        code_name: str,
        field: str | None = None,
        action: str | None = None,
    ) -> None:
        super().__init__(message, action=action)
        self.code = code
        self.code_name = code_name
        self.field = field


class Cancelled(TerminalError):
    """The caller cancelled a long operation."""
