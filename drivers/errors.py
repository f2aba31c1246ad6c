"""Typed errors of the terminal link.

Every error carries the *action* that failed, in the technician's words
("reading terminal parameters"), so that a message shown to a person says what
was being done, not only what went wrong. pyserial and OS errors are converted
at the boundary with ``raise ... from err``.
"""

from __future__ import annotations

from typing import Any


class TerminalError(Exception):
    """Base of every error raised by a terminal driver.

    ``message`` and ``action`` are English for logs and the command line. For a
    person in any language the error also carries ``msg_id`` (what went wrong,
    a stable id), ``action_id`` (what was being done) and ``params`` (the values
    the words need: port, attempts left, ...); ``techapp.errors.explain`` turns
    them into plain text in Chinese and English.
    """

    #: The message id when the raiser gives none.
    MSG_ID = "terminal-error"

    def __init__(
        self,
        message: str,
        *,
        action: str | None = None,
        msg_id: str | None = None,
        action_id: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.action = action
        self.msg_id = msg_id or self.MSG_ID
        self.action_id = action_id
        self.params: dict[str, Any] = dict(params or {})

    def __str__(self) -> str:
        if self.action:
            return f"{self.action}: {self.message}"
        return self.message


class DriverNotAvailable(TerminalError):
    """The requested driver is unknown or one of its dependencies is missing."""

    MSG_ID = "driver-unavailable"


class PortNotAvailable(TerminalError):
    """The port could not be opened (absent, busy, permission denied, bad URL)."""

    MSG_ID = "port-not-available"


class LinkError(TerminalError):
    """The serial link itself failed."""

    MSG_ID = "link-error"


class Disconnected(LinkError):
    """The cable was pulled, the adapter vanished or the peer closed the link."""

    MSG_ID = "link-lost"


class LinkTimeout(LinkError):
    """The terminal did not answer in time (after the allowed retries)."""

    MSG_ID = "no-answer"


class ProtocolError(LinkError):
    """Bytes arrived but did not make a valid frame or message."""

    MSG_ID = "bad-message"


class AuthenticationError(TerminalError):
    """Maintenance login did not succeed."""

    MSG_ID = "login-failed"


class AuthenticationFailed(AuthenticationError):
    """Wrong maintenance password."""

    MSG_ID = "wrong-password"

    def __init__(self, message: str, *, attempts_left: int | None, action: str | None = None, **ids: Any):
        super().__init__(message, action=action, **ids)
        self.attempts_left = attempts_left


class LockedOut(AuthenticationError):
    """Maintenance mode is locked after too many failed logins."""

    MSG_ID = "locked-out"

    def __init__(self, message: str, *, seconds_left: int | None, action: str | None = None, **ids: Any):
        super().__init__(message, action=action, **ids)
        self.seconds_left = seconds_left


class RefusedByTerminal(TerminalError):
    """The terminal understood the request and refused it, with a reason."""

    MSG_ID = "refused"

    def __init__(
        self,
        message: str,
        *,
        code: int,
        code_name: str,
        field: str | None = None,
        action: str | None = None,
        **ids: Any,
    ) -> None:
        super().__init__(message, action=action, **ids)
        self.code = code
        self.code_name = code_name
        self.field = field


class Cancelled(TerminalError):
    """The caller cancelled a long operation."""

    MSG_ID = "cancelled"


class NotSupported(TerminalError):
    """The driver's protocol has no way to give this reading or do this action (its capabilities lack it)."""

    MSG_ID = "not-supported"
