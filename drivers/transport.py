"""Opening a port by name: device paths, pyserial URLs and ``sim://SCENARIO``.

Anything pyserial's ``serial_for_url`` accepts works (``/dev/ttyUSB0``,
``COM3``, a pty path, ``socket://127.0.0.1:7000``, ``rfc2217://...``), plus
the built-in simulator as ``sim://NAME`` (see :mod:`drivers.urlhandler`).
"""

from __future__ import annotations

import errno

import serial

from .errors import PortNotAvailable

DEFAULT_BAUDRATE = 115200
_HANDLER_PACKAGE = "drivers.urlhandler"


def register_url_handlers() -> None:
    """Make ``sim://`` known to pyserial (idempotent)."""
    if _HANDLER_PACKAGE not in serial.protocol_handler_packages:
        serial.protocol_handler_packages.append(_HANDLER_PACKAGE)


def open_port(name: str, baudrate: int = DEFAULT_BAUDRATE) -> serial.SerialBase:
    """Open ``name`` 8N1 at ``baudrate``; raise :class:`PortNotAvailable` naming the port.

    Modem lines are left alone when the port refuses them (ptys answer ENOTTY
    to RTS/DTR ioctls; pyserial tolerates that on open).
    """
    register_url_handlers()
    if not name or not name.strip():
        raise PortNotAvailable("no port given", action="opening the port", msg_id="port-none", action_id="open-port")
    is_url = "://" in name
    port = None
    try:
        port = serial.serial_for_url(name, baudrate=baudrate, timeout=0.02, do_not_open=True)
        if not is_url:
            port.exclusive = True  # refuse a port another program holds open
        port.open()
    except (serial.SerialException, ValueError, OSError) as err:
        if port is not None:
            _close_quietly(port)  # a half-open URL port (rfc2217) keeps its socket otherwise
        raise PortNotAvailable(
            str(err) or type(err).__name__,
            action=f"opening {name}",
            msg_id=port_problem(name, err),
            action_id="open-port",
            params={"port": name},
        ) from err
    return port


def port_problem(name: str, err: BaseException) -> str:
    """Why a port did not open, as a message id: port-not-found, port-permission, port-busy, port-bad-url, ...

    pyserial keeps the OS error number on POSIX (``err.errno``); on Windows it
    only names the Windows error in the text ("FileNotFoundError(2, ...)",
    "PermissionError(13, 'Access is denied.'...)": a COM port another program
    holds answers "access denied").
    """
    if name.startswith("sim://"):
        return "sim-failed"
    number = getattr(err, "errno", None)
    text = str(err)
    if number in (errno.ENOENT, errno.ENODEV, errno.ENXIO) or isinstance(err, FileNotFoundError):
        return "port-not-found"
    if number in (errno.EBUSY, errno.EAGAIN, errno.EWOULDBLOCK) or "exclusively lock" in text:
        return "port-busy"
    if number in (errno.EACCES, errno.EPERM) or isinstance(err, PermissionError):
        return "port-permission"
    if "FileNotFoundError" in text:
        return "port-not-found"
    if "PermissionError" in text or "Access is denied" in text:
        return "port-busy"  # Windows: a COM port open in another program
    if "://" in name:
        return "port-bad-url"
    return "port-not-available"


def _close_quietly(port: serial.SerialBase) -> None:
    try:
        port.close()
    except Exception:
        pass
    sock = getattr(port, "_socket", None)
    if sock is not None:
        sock.close()
