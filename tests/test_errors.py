"""Errors in plain words: the driver's typed errors carry message ids, techapp.errors explains them."""

from __future__ import annotations

import errno
import os
import pty
import re

import pytest
import serial

from drivers.errors import (
    AuthenticationFailed,
    Disconnected,
    LinkTimeout,
    LockedOut,
    PortNotAvailable,
    RefusedByTerminal,
    TerminalError,
)
from drivers.maint.driver import MaintenanceDriver
from drivers.transport import open_port, port_problem
from techapp.backups import BackupError, load_backup
from techapp.errors import DIALOUT_COMMAND, explain, explain_id

LATIN = re.compile(r"[A-Za-z]")


def chinese_only(text: str, *allowed: str) -> bool:
    """No ASCII letters once the literals a person must type or recognise (port, command) are taken out."""
    for literal in allowed:
        text = text.replace(literal, "")
    return not LATIN.search(text)


def test_a_missing_port_is_port_not_found_in_plain_words():
    with pytest.raises(PortNotAvailable) as exc:
        open_port("/dev/ttyTECHAPP-NONE")
    err = exc.value
    assert err.msg_id == "port-not-found"
    assert err.params["port"] == "/dev/ttyTECHAPP-NONE"
    text = explain(err)
    assert "maintenance mode" in text.en and "Errno" not in text.en
    assert "维护模式" in text.zh
    assert chinese_only(text.zh, "/dev/ttyTECHAPP-NONE")
    assert "techapp ports" not in text.en  # the window says what to click
    assert "techapp ports" in explain(err, where="cli").en


def test_a_port_held_by_another_program_is_busy():
    master, slave = pty.openpty()
    name = os.ttyname(slave)
    first = open_port(name)
    try:
        with pytest.raises(PortNotAvailable) as exc:
            open_port(name)
    finally:
        first.close()
        os.close(master)
        os.close(slave)
    assert exc.value.msg_id == "port-busy"
    text = explain(exc.value)
    assert "ModemManager" in text.en and "another program" in text.en.lower()
    assert chinese_only(text.zh, name, "ModemManager", "techapp")


@pytest.mark.parametrize(
    ("err", "expected"),
    [
        (
            serial.SerialException(errno.EACCES, "could not open port /dev/ttyUSB0: [Errno 13] Permission denied"),
            "port-permission",
        ),
        (serial.SerialException(errno.ENOENT, "could not open port /dev/ttyUSB0"), "port-not-found"),
        (serial.SerialException(errno.EBUSY, "could not open port /dev/ttyUSB0: Device or resource busy"), "port-busy"),
        (
            serial.SerialException("could not open port 'COM3': FileNotFoundError(2, 'The system cannot find...')"),
            "port-not-found",
        ),
        (
            serial.SerialException("could not open port 'COM3': PermissionError(13, 'Access is denied.', None, 5)"),
            "port-busy",
        ),
    ],
)
def test_os_errors_are_classified(err, expected):
    port = "COM3" if "COM3" in str(err) else "/dev/ttyUSB0"
    assert port_problem(port, err) == expected


def test_permission_denied_gives_the_dialout_command(monkeypatch):
    monkeypatch.setattr("sys.platform", "linux")
    err = PortNotAvailable("denied", msg_id="port-permission", action_id="open-port", params={"port": "/dev/ttyUSB0"})
    text = explain(err)
    assert DIALOUT_COMMAND in text.en and DIALOUT_COMMAND in text.zh
    assert "log out" in text.en and "注销" in text.zh
    assert chinese_only(text.zh, "/dev/ttyUSB0", DIALOUT_COMMAND, "Linux", "dialout")


def test_a_silent_terminal_is_no_answer_with_what_was_being_done():
    master, slave = pty.openpty()  # nothing answers on the other side
    driver = MaintenanceDriver(open_port(os.ttyname(slave)), response_timeout=0.3)
    try:
        with pytest.raises(LinkTimeout) as exc:
            driver.identity()
    finally:
        driver.close()
        os.close(master)
        os.close(slave)
    err = exc.value
    assert (err.msg_id, err.action_id) == ("no-answer", "read-identity")
    text = explain(err)
    assert text.en.startswith("Reading the terminal's identity: the terminal did not answer")
    assert "cable" in text.en
    assert chinese_only(text.zh)


def test_wrong_password_and_lockout_have_counts_and_real_plurals():
    one = explain(AuthenticationFailed("x", attempts_left=1, action_id="login", params={"attempts_left": 1}))
    three = explain(AuthenticationFailed("x", attempts_left=3, action_id="login", params={"attempts_left": 3}))
    assert "1 try left" in one.en and "3 tries left" in three.en
    assert "3 次" in three.zh and chinese_only(three.zh)
    locked = explain(LockedOut("x", seconds_left=61, action_id="login", params={"seconds_left": 61}))
    assert "1 minute 1 second" in locked.en and "1 分 1 秒" in locked.zh and chinese_only(locked.zh)


def test_a_refused_value_names_the_parameter_not_its_key():
    err = RefusedByTerminal(
        "invalid value",
        code=0x13,
        code_name="INVALID_VALUE",
        field="merchant_name",
        msg_id="refused-invalid-value",
        action_id="write-parameters",
        params={"field": "merchant_name"},
    )
    text = explain(err)
    assert "merchant name" in text.en and "merchant_name" not in text.en
    assert "商户名称" in text.zh and chinese_only(text.zh)


def test_every_known_message_is_chinese_in_chinese():
    ids = [
        "port-none",
        "port-not-found",
        "port-busy",
        "port-bad-url",
        "sim-failed",
        "port-not-available",
        "driver-unavailable",
        "link-lost",
        "link-closed",
        "no-answer",
        "no-answer-noise",
        "frame-rejected",
        "bad-message",
        "protocol-version",
        "login-proof-bad",
        "log-truncated",
        "no-password",
        "wrong-password",
        "locked-out",
        "login-failed",
        "cancelled",
        "refused",
        "refused-busy",
        "refused-unsettled-transactions",
        "refused-internal-error",
        "terminal-error",
    ]
    params = {"port": "PORT", "baud": 9600, "version": 3, "read": 2, "total": 5, "attempts_left": 2, "seconds_left": 30}
    for action in (None, "read-parameters", "write-parameters", "sign-on", "login"):
        for msg_id in ids:
            text = explain_id(msg_id, params, action)
            assert text is not None, msg_id
            assert chinese_only(text.zh, "PORT", "ModemManager", "techapp"), (msg_id, text.zh)
            assert "--" not in text.en, (msg_id, text.en)  # no command-line options in the window's words


def test_an_unconfirmed_commit_says_which_values_may_be_there():
    err = Disconnected("gone", msg_id="link-lost", action_id="write-parameters", params={"commit_unconfirmed": True})
    text = explain(err)
    assert "all the new values or all the old ones" in text.en
    assert "全部是新值" in text.zh


def test_an_unknown_error_is_not_english_in_chinese():
    text = explain(RuntimeError("boom"))
    assert "boom" in text.en
    assert chinese_only(text.zh)
    assert chinese_only(explain(TerminalError("odd", msg_id="never-heard-of")).zh)


def test_a_damaged_backup_is_explained(tmp_path):
    bad = tmp_path / "82412345-20260101-000000-000000.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(BackupError) as exc:
        load_backup(bad)
    text = explain(exc.value)
    assert bad.name in text.en and "damaged" in text.en
    assert chinese_only(text.zh, bad.name, "techapp")
