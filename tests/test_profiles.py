"""Acquirer profiles: the demo profile carries the whole CUP response-code table,
explains codes only from the profile, classifies hosts, and bad files are
refused with the file, the key and what was expected."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from drivers.sim.scenario import load_scenario
from techapp.profiles import (
    CATEGORIES,
    SIDES,
    AcquirerProfile,
    ProfileError,
    list_profiles,
    load_profile,
    load_profile_text,
    profile_dirs,
)

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "resources" / "acquirers" / "demo.toml"

# Every code of CUP's public response-code table (sources in docs/payment-facts.md §1;
# "41 / 43" is one row there), copied here so the demo profile is checked against it.
REFERENCE_CODES = [
    "00", "01", "03", "04", "05", "12", "13", "14", "15", "21", "22", "25", "30", "34", "38", "40",
    "41", "43", "45", "51", "54", "55", "57", "58", "59", "61", "62", "64", "65", "68", "75", "77",
    "90", "91", "92", "94", "95", "96", "97", "98", "99", "A0", "A7",
]  # fmt: skip

# Category and side per the reference table ("–" = None / empty; "B/C" for 68,
# "K/reader" for 45 and "H; T if ..." for 94 as the profile records them).
REFERENCE_CLASS = {
    "00": ("A", []), "01": ("C", ["K"]), "03": ("C", ["T", "H"]), "04": ("D", ["K"]), "05": ("C", ["K"]),
    "12": ("C", ["H", "Op"]), "13": ("B", ["Op"]), "14": ("B", ["K"]), "15": ("C", ["K"]), "21": ("C", ["K"]),
    "22": ("C", ["T"]), "25": ("C", ["Op", "T"]), "30": ("C", ["T"]), "34": ("D", ["K"]), "38": ("D", ["K"]),
    "40": ("C", ["H"]), "41": ("D", ["K"]), "43": ("D", ["K"]), "45": ("C", ["K"]), "51": ("C", ["K"]),
    "54": ("C", ["K"]), "55": ("C", ["K"]), "57": ("C", ["K"]), "58": ("C", ["T", "H"]), "59": ("C", ["K"]),
    "61": ("C", ["K"]), "62": ("C", ["K"]), "64": ("C", ["Op"]), "65": ("C", ["K"]), "68": ("B", ["H"]),
    "75": ("C", ["K"]), "77": (None, ["T"]), "90": ("C", ["H"]), "91": ("C", ["H"]), "92": ("C", ["H"]),
    "94": ("C", ["H", "T"]), "95": (None, ["T", "H"]), "96": ("C", ["H"]), "97": ("D", ["T"]),
    "98": ("E", ["H"]), "99": ("B", ["T"]), "A0": ("B", ["T"]), "A7": ("C", ["H"]),
}  # fmt: skip

# Display texts (zh) exactly as the reference's "Display" column (first variant where it gives two).
REFERENCE_DISPLAY = {
    "00": "交易成功", "03": "无效商户", "04": "此卡被没收", "22": "操作有误,或超出交易允许天数",
    "30": "请重试", "41": "挂失卡", "43": "被窃卡,请没收", "58": "发卡方不允许该卡在本终端进行此交易",
    "94": "拒绝,重复交易,请稍后重试", "97": "终端未登记", "99": "PIN格式错,请重新签到",
    "A0": "MAC校验错,请重新签到", "A7": "拒绝,交换中心异常",
}  # fmt: skip


@pytest.fixture(scope="module")
def demo() -> AcquirerProfile:
    return load_profile("demo")


def demo_with(old: str, new: str) -> str:
    text = DEMO.read_text(encoding="utf-8")
    assert old in text, old
    return text.replace(old, new, 1)


def write(tmp_path: Path, text: str, name: str = "bank.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- the demo profile -----------------------------------------------------------------


def test_demo_loads(demo: AcquirerProfile) -> None:
    assert demo.id == "demo"
    assert demo.name.zh == "示例收单行" and demo.name.en == "Demo Acquirer"
    assert demo.institution_id == "48020000"
    assert demo.tpdu == "6000030000" and demo.tpdu_bytes == bytes.fromhex("6000030000")
    assert demo.key_scheme == "ms-double"
    assert demo.field_60_3 == "003"
    assert (demo.header.app_category, demo.header.software_version, demo.header.prefix) == ("60", "31", "6031")
    assert [(h.address, h.port, h.tls) for h in demo.production_hosts] == [
        ("10.20.30.40", 5000, False),
        ("10.20.30.41", 5000, False),
        ("fd00:20::40", 5000, False),  # the same front-end over IPv6 (issue 17)
    ]
    assert str(demo.production_hosts[2]) == "[fd00:20::40]:5000"
    assert [(h.address, h.port) for h in demo.test_hosts] == [("10.20.99.40", 5000), ("10.20.99.41", 5000)]
    assert demo.helpdesk.phone and demo.helpdesk.name.zh and demo.helpdesk.name.en


def test_demo_has_every_reference_code_and_nothing_else(demo: AcquirerProfile) -> None:
    assert sorted(demo.response_codes) == sorted(REFERENCE_CODES)
    assert len(REFERENCE_CODES) == len(set(REFERENCE_CODES)) == 43


@pytest.mark.parametrize("code", REFERENCE_CODES)
def test_demo_code_matches_reference(demo: AcquirerProfile, code: str) -> None:
    entry = demo.response_codes[code]
    assert (entry.category, entry.side) == REFERENCE_CLASS[code]
    for text in (entry.zh, entry.en, entry.action_zh, entry.action_en):
        assert text.strip()
    assert re.search(r"[\u4e00-\u9fff]", entry.zh) and re.search(r"[\u4e00-\u9fff]", entry.action_zh)
    if code in REFERENCE_DISPLAY:
        assert entry.zh == REFERENCE_DISPLAY[code]


def test_explain_97(demo: AcquirerProfile) -> None:
    info = demo.explain("97")
    assert info.known and info.code == "97" and info.profile == "demo"
    assert info.category == "D" and info.category_en == "operator must act"
    assert info.side == ("T",) and info.side_en == ["terminal setup or record"]
    assert info.zh == "终端未登记"
    assert "终端号未登记" in info.zh_variants
    assert "TID" in info.action_en and "MID" in info.action_en and "work order" in info.action_en
    assert "test host" in info.action_en and "escalate" in info.action_en
    assert "终端号" in info.action_zh and "工单" in info.action_zh


def test_explain_key_and_merchant_codes(demo: AcquirerProfile) -> None:
    for code in ("A0", "99"):
        action = demo.explain(code).action_en
        assert "sign on again" in action and "TMK" in action
    assert "MID" in demo.explain("03").action_en and "closed" in demo.explain("03").action_en


@pytest.mark.parametrize("code", ["XX", "9", "", "a0", "097", " 97"])
def test_explain_unknown_is_marked_and_never_guessed(demo: AcquirerProfile, code: str) -> None:
    info = demo.explain(code)
    assert not info.known
    assert info.code == code
    assert info.category is None and info.side == () and info.category_en == ""
    assert info.zh_variants == () and not info.unconfirmed
    assert "unknown" in info.en.lower() or "not a response code" in info.en.lower()
    assert "display text" in info.action_en and demo.helpdesk.phone in info.action_en
    assert demo.helpdesk.phone in info.action_zh


def test_unknown_code_names_the_profile(demo: AcquirerProfile) -> None:
    info = demo.explain("XX")
    assert info.en == "Unknown response code XX: not in the acquirer profile 'demo'"
    assert "XX" in info.zh and "demo" in info.zh


def test_meanings_come_from_the_profile_not_display_text() -> None:
    # The same code means what the profile says; a profile without it knows nothing.
    text = demo_with('en = "Terminal ID not found at centre/acquirer"', 'en = "Reconciliation cut-over"')
    other = load_profile_text(text, profile_id="iso93")
    assert other.explain("97").en == "Reconciliation cut-over"
    start = text.index("[response_codes.97]")
    without = text[:start] + text[text.index("[response_codes.98]") :]
    assert not load_profile_text(without).explain("97").known


def test_category_and_side_tables_cover_the_model() -> None:
    assert set(CATEGORIES) == set("ABCDE")
    assert set(SIDES) == {"T", "K", "H", "Op"}


# -- hosts, keys, firmware ------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "port", "production", "test"),
    [
        ("10.20.30.40", 5000, True, False),
        ("10.20.30.41", 5000, True, False),
        ("10.20.30.41", None, True, False),
        ("10.20.30.40", 5001, False, False),
        ("10.20.99.40", 5000, False, True),
        ("10.20.99.41", 5000, False, True),
        ("10.20.99.41", 6000, False, False),
        ("192.168.1.1", 5000, False, False),
        ("  10.20.30.40 ", 5000, True, False),
    ],
)
def test_host_classification(demo: AcquirerProfile, address: str, port: int | None, production: bool, test: bool):
    assert demo.is_production_host(address, port) is production
    assert demo.is_test_host(address, port) is test
    assert demo.host_role(address, port) == ("production" if production else "test" if test else None)


def test_host_names_compare_case_insensitively() -> None:
    text = demo_with('address = "10.20.30.40"', 'address = "POS.Acquirer.example"')
    profile = load_profile_text(text)
    assert profile.is_production_host("pos.acquirer.example", 5000)
    assert profile.is_production_host("pos.acquirer.example.", 5000)
    assert not profile.is_test_host("pos.acquirer.example", 5000)


def test_healthy_scenario_points_at_demo_production_and_test_scenario_at_test_hosts(demo: AcquirerProfile) -> None:
    healthy = load_scenario("healthy").parameters
    assert demo.host_role(healthy.primary_host, healthy.primary_port) == "production"
    assert demo.host_role(healthy.backup_host, healthy.backup_port) == "production"
    assert healthy.acquirer_id == demo.institution_id and healthy.tpdu == demo.tpdu
    test = load_scenario("test-host-97").parameters
    assert demo.host_role(test.primary_host, test.primary_port) == "test"
    assert demo.host_role(test.backup_host, test.backup_port) == "test"


@pytest.mark.parametrize(
    ("scheme", "value"), [("ms-single", "001"), ("ms-double", "003"), ("ms-double-tdk", "004"), ("dukpt-tdes", None)]
)
def test_field_60_3_per_key_scheme(scheme: str, value: str | None) -> None:
    profile = load_profile_text(demo_with('key_scheme = "ms-double"', f'key_scheme = "{scheme}"'))
    assert profile.field_60_3 == value


def test_approved_firmware(demo: AcquirerProfile) -> None:
    identity = load_scenario("healthy").identity
    approved = demo.approved_versions(identity.vendor, identity.model)
    assert approved is not None
    assert approved.firmware == ["PayDroid FW 2.6.41", "PayDroid FW 2.6.40"]
    assert approved.allows_firmware(identity.firmware_version)
    assert approved.allows_app(f"{identity.app_name} {identity.app_version}")
    assert not approved.allows_firmware("PayDroid FW 2.6.39")
    assert not approved.allows_app("UnionPay POS V3.2.14")
    assert demo.approved_versions("PAX", "A920") is None


# -- bad files ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "key", "expected"),
    [
        ('key_scheme = "ms-double"', 'key_scheme = "ms-double"\ncolour = "blue"', "'colour'", "unknown key"),
        ("[header]", '[header]\nstatus = "0"', "'header.status'", "unknown key"),
        (
            'side = ["T"]\naction_zh = "终端',
            'side = ["T"]\nfix = "x"\naction_zh = "终端',
            "'response_codes.97.fix'",
            "unknown key",
        ),
        ('tpdu = "6000030000"', 'tpdu = "7000030000"', "'tpdu'", "TPDU ID (first two digits) must be 60"),
        ('tpdu = "6000030000"', 'tpdu = "600003000"', "'tpdu'", "expected 10 hex digits"),
        ('tpdu = "6000030000"', 'tpdu = "60000300GG"', "'tpdu'", "expected 10 hex digits"),
        ('tpdu = "6000030000"', "tpdu = 6000030000", "'tpdu'", "expected text in quotes"),
        ('category = "D"', 'category = "F"', "'response_codes.04.category'", "'A', 'B', 'C', 'D' or 'E'"),
        ('side = ["K"]', 'side = ["X"]', "'response_codes.01.side.0'", "'T', 'K', 'H' or 'Op'"),
        ('side = ["K"]', 'side = ["K", "K"]', "'response_codes.01.side'", "listed twice"),
        ("[response_codes.00]", "[response_codes.9]", "'response_codes.9'", "2 characters, each 0-9 or A-Z"),
        ("[response_codes.00]", "[response_codes.a1]", "'response_codes.a1'", "2 characters, each 0-9 or A-Z"),
        ("[response_codes.00]", "[response_codes.100]", "'response_codes.100'", "2 characters"),
        ('institution_id = "48020000"', 'institution_id = "4802000A"', "'institution_id'", "1 to 11 digits"),
        ('institution_id = "48020000"', "institution_id = 48020000", "'institution_id'", "expected text in quotes"),
        ('key_scheme = "ms-double"', 'key_scheme = "sm4"', "'key_scheme'", "'ms-single', 'ms-double'"),
        ('software_version = "31"', 'software_version = "3"', "'header.software_version'", "expected 2 digits"),
        ("port = 5000", 'port = "5000"', "'production_hosts.0.port'", "valid integer"),
        ("port = 5000", "port = 70000", "'production_hosts.0.port'", "less than or equal to 65535"),
        ("tls = false", 'tls = "no"', "'production_hosts.0.tls'", "valid boolean"),
        ('address = "10.20.30.40"', 'address = "10.20.30.400"', "'production_hosts.0.address'", "IP address"),
        ('address = "10.20.99.41"', 'address = "10.20.30.41"', "'test_hosts'", "also a production host"),
        ('address = "10.20.99.41"', 'address = "10.20.99.40"', "'test_hosts'", "10.20.99.40:5000 listed twice"),
        ('zh = "终端未登记"\n', "", "'response_codes.97.zh'", "required but missing"),
        ('action_en = "Nothing to do."', 'action_en = " "', "'response_codes.00.action_en'", "must not be empty"),
        ('phone = "400-000-0000"', 'phone = "ring us"', "'helpdesk.phone'", "phone number"),
        ('"PayDroid FW 2.6.40"]', '"PayDroid FW 2.6.41"]', "'approved_firmware.PAX S90.firmware'", "listed twice"),
        ("apps = [", "app = [", "'approved_firmware.PAX S90.app'", "unknown key"),
        ("format = 1", "format = 2", "'format'", "reads acquirer profile format 1, the file says 2"),
        ("format = 1", 'format = 1\nid = "bank"', "'id'", "the profile id is the file name (bank)"),
    ],
)
def test_bad_file_names_file_key_and_expectation(tmp_path: Path, old: str, new: str, key: str, expected: str):
    path = write(tmp_path, demo_with(old, new))
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert f"key {key}" in message
    assert expected in message


def test_bad_file_reports_every_problem_at_once(tmp_path: Path) -> None:
    text = demo_with('tpdu = "6000030000"', 'tpdu = "7000030000"').replace('category = "E"', 'category = "X"')
    message = str(pytest.raises(ProfileError, load_profile, write(tmp_path, text)).value)
    assert "key 'tpdu'" in message and "key 'response_codes.98.category'" in message


def test_missing_required_tables(tmp_path: Path) -> None:
    message = str(pytest.raises(ProfileError, load_profile, write(tmp_path, "format = 1\n")).value)
    for key in ("name", "institution_id", "production_hosts", "tpdu", "key_scheme", "header", "helpdesk"):
        assert f"key '{key}': required but missing" in message


def test_duplicate_response_code_is_a_toml_error(tmp_path: Path) -> None:
    text = DEMO.read_text(encoding="utf-8") + '\n[response_codes.97]\nzh = "x"\n'
    path = write(tmp_path, text)
    with pytest.raises(ProfileError, match=rf"^{re.escape(str(path))}: not valid TOML"):
        load_profile(path)


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    path = tmp_path / "gbk.toml"
    path.write_bytes('name = "示例"'.encode("gbk"))
    with pytest.raises(ProfileError, match="not UTF-8 text"):
        load_profile(path)
    with pytest.raises(ProfileError, match=r"acquirer profile not found \(looked for "):
        load_profile(tmp_path / "missing.toml")


def test_text_source_is_named() -> None:
    with pytest.raises(ProfileError, match=r"^editor: key 'tpdu'"):
        load_profile_text(demo_with('tpdu = "6000030000"', 'tpdu = "6000"'), source="editor")


# -- where profiles are found -----------------------------------------------------------


def test_profile_dirs_and_lookup_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert profile_dirs()[-1] == REPO / "resources" / "acquirers"
    assert ("demo", DEMO) in list_profiles()
    assert load_profile("demo").id == "demo"

    mine, other = tmp_path / "mine", tmp_path / "other"
    mine.mkdir()
    other.mkdir()
    write(mine, demo_with('en = "Demo Acquirer"', 'en = "Bank of Tests"'), "bank.toml")
    write(other, demo_with('en = "Demo Acquirer"', 'en = "Local demo"'), "demo.toml")
    monkeypatch.setenv("TECHAPP_PROFILE_PATH", f"{mine}{os.pathsep}{other}")
    assert profile_dirs()[:2] == [mine, other]
    assert load_profile("bank").name.en == "Bank of Tests"
    assert load_profile("bank").id == "bank"
    # an earlier folder hides a shipped profile of the same name
    assert load_profile("demo").name.en == "Local demo"
    assert dict(list_profiles()) == {"bank": mine / "bank.toml", "demo": other / "demo.toml"}


def test_unknown_profile_lists_what_exists() -> None:
    with pytest.raises(ProfileError, match=r"unknown acquirer profile 'nosuch'; profiles found: .*demo"):
        load_profile("nosuch")


def test_frozen_bundle_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    monkeypatch.delenv("TECHAPP_PROFILE_PATH", raising=False)
    assert profile_dirs() == [tmp_path / "resources" / "acquirers"]


def test_profiles_module_has_no_qt() -> None:
    source = (REPO / "techapp" / "profiles.py").read_text(encoding="utf-8")
    assert "PySide6" not in source and "shiboken6" not in source


def test_every_key_is_documented() -> None:
    from pydantic import BaseModel

    from techapp import profiles

    doc = (REPO / "docs" / "acquirer-profiles.md").read_text(encoding="utf-8")
    models: list[type[BaseModel]] = [
        profiles.AcquirerProfile,
        profiles.Name,
        profiles.Host,
        profiles.Header,
        profiles.Helpdesk,
        profiles.ApprovedVersions,
        profiles.ResponseCode,
    ]
    missing = [
        f"{model.__name__}.{key}"
        for model in models
        for key in model.model_fields
        if key != "id" and not any(form in doc for form in (f"`{key}`", f"`[{key}]`", f"`[[{key}]]`", f"`[{key}."))
    ]
    assert not missing, f"keys not in docs/acquirer-profiles.md: {missing}"
