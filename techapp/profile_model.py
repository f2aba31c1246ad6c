"""The validated acquirer-profile models (pydantic): :class:`AcquirerProfile` and its tables.

Loaded on first use through :mod:`techapp.profiles` (``load_profile``, ``from techapp.profiles import
AcquirerProfile``); listing and finding profiles does not need it. The format is documented in
``docs/acquirer-profiles.md``.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from drivers.addr import hostport
from drivers.resources import toml_value

from .profiles import CODE_PATTERN, FIELD_60_3, FORMAT_VERSION, ProfileError, ResponseCodeInfo


class _Strict(BaseModel):
    # strict: `port = "5000"` or `tls = "yes"` is a mistake in the file, not a value to coerce
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def _text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


Text = Annotated[str, AfterValidator(_text)]


def _digits(count: int, example: str):
    def check(value: str) -> str:
        if len(value) != count or not value.isascii() or not value.isdigit():
            raise ValueError(f'expected {count} digits in quotes, such as "{example}"')
        return value

    return AfterValidator(check)


def _code(value: str) -> str:
    if not CODE_PATTERN.fullmatch(value):
        raise ValueError(f"response codes are 2 characters, each 0-9 or A-Z (field 39), not {value!r}")
    return value


Code = Annotated[str, AfterValidator(_code)]

_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*")  # use with fullmatch


def _host_key(address: str) -> str:
    """An address in the form used for comparisons: canonical IP text, or a lower-case name."""
    address = address.strip().rstrip(".")
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return address.lower()


class Host(_Strict):
    address: str
    port: int = Field(ge=1, le=65535)
    tls: bool = False

    @field_validator("address")
    @classmethod
    def _address(cls, value: str) -> str:
        try:
            ipaddress.ip_address(value)
            return value
        except ValueError:
            pass
        if not _HOSTNAME.fullmatch(value) or value.replace(".", "").isdigit():
            raise ValueError('expected an IP address such as "10.20.30.40" or a host name such as "pos.acquirer.cn"')
        return value

    def matches(self, address: str, port: int | None = None) -> bool:
        return _host_key(address) == _host_key(self.address) and (port is None or port == self.port)

    def __str__(self) -> str:
        return f"{hostport(self.address, self.port)}" + (" (TLS)" if self.tls else "")


class Name(_Strict):
    zh: Text
    en: Text


class Header(_Strict):
    """The fixed part of the 6-byte CUP message header (reference §4.1), and what the
    production hosts do with a message whose terminal status says "test"."""

    app_category: Annotated[str, _digits(2, "60")]  # n2: 60 magstripe, 61 IC, ...
    software_version: Annotated[str, _digits(2, "31")]  # n2: 31 seen
    # production hosts and a test-status message: answered as normal, refused with test_status_code,
    # or routed to the test system; None: the acquirer has not said
    test_status: Literal["accept", "refuse", "route-to-test"] | None = None
    test_status_code: Code | None = None

    @model_validator(mode="after")
    def _code_with_refuse(self) -> Header:
        if self.test_status == "refuse" and self.test_status_code is None:
            raise ValueError('test_status = "refuse" needs test_status_code, the response code of the refusal')
        if self.test_status != "refuse" and self.test_status_code is not None:
            raise ValueError('test_status_code only goes with test_status = "refuse"')
        return self

    @property
    def prefix(self) -> str:
        """The first 4 BCD digits of the header, e.g. ``"6031"``."""
        return self.app_category + self.software_version


class ResponseCode(_Strict):
    zh: Text  # display text the terminal shows (Chinese)
    en: Text  # meaning (English)
    # CUP action class; omitted (None) where the reference gives "–" (TOML has no null)
    category: Literal["A", "B", "C", "D", "E"] | None = None
    side: list[Literal["T", "K", "H", "Op"]]  # empty where the reference gives "–"
    action_zh: Text  # what the technician does
    action_en: Text
    zh_variants: list[Text] = []  # other display texts seen for the code: to recognise a screen, never to decide a code
    unconfirmed: bool = False  # the reference marks meaning/side as a hypothesis to check with the acquirer
    note: str = ""  # for maintainers of the profile: sources, disagreements

    @field_validator("side")
    @classmethod
    def _unique_sides(cls, value: list[str]) -> list[str]:
        if len(value) != len(set(value)):
            raise ValueError("a side is listed twice")
        return value


class ApprovedVersions(_Strict):
    """Versions the acquirer has approved for one terminal model."""

    firmware: list[Text] = Field(min_length=1)
    # app name and version as the terminal reports them, e.g. "UnionPay POS V3.2.15"
    apps: list[Text] = Field(min_length=1)

    @field_validator("firmware", "apps")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        seen = [v for i, v in enumerate(value) if v in value[:i]]
        if seen:
            raise ValueError(f"listed twice: {', '.join(repr(v) for v in seen)}")
        return value

    def allows_firmware(self, version: str) -> bool:
        return version.strip() in self.firmware

    def allows_app(self, name_and_version: str) -> bool:
        return " ".join(name_and_version.split()) in self.apps


class Helpdesk(_Strict):
    name: Name
    phone: str
    email: str = ""

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        if not re.fullmatch(r"\+?[0-9][0-9 ()-]{2,30}", value):
            raise ValueError('expected a phone number such as "400-000-0000" or "+86 10 1234 5678"')
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if value and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
            raise ValueError('expected an e-mail address such as "helpdesk@acquirer.example" or ""')
        return value


class AcquirerProfile(_Strict):
    format: int = FORMAT_VERSION
    id: str  # the file stem, set by the loader (never written in the file)
    name: Name
    description: str = ""
    institution_id: str  # acquirer institution code, field 32 (n..11)
    production_hosts: list[Host] = Field(min_length=1)
    test_hosts: list[Host] = []
    tpdu: str
    key_scheme: Literal["ms-single", "ms-double", "ms-double-tdk", "dukpt-tdes"]
    # the APN of the acquirer's POS SIM cards (cellular terminals); "" = the acquirer does not supply SIMs
    apn: str = Field(default="", max_length=63)
    # the acquirer lets a technician settle the batch from techapp (SETTLE, action settle-batch)
    automatic_settlement: bool = False
    # DUKPT: the key-set ids (the KSN's first 10 hex digits, drivers.dukpt.key_set_id) of the base keys it uses
    dukpt_key_sets: list[Annotated[str, Field(pattern=r"^[0-9A-Fa-f]{10}$")]] = []
    header: Header
    helpdesk: Helpdesk
    approved_firmware: dict[Text, ApprovedVersions] = {}  # terminal "VENDOR MODEL", e.g. "PAX S90"
    response_codes: dict[Code, ResponseCode] = Field(min_length=1)

    @field_validator("format")
    @classmethod
    def _format(cls, value: int) -> int:
        if value != FORMAT_VERSION:
            raise ValueError(f"this techapp reads acquirer profile format {FORMAT_VERSION}, the file says {value}")
        return value

    @field_validator("institution_id")
    @classmethod
    def _institution(cls, value: str) -> str:
        if not re.fullmatch(r"[0-9]{1,11}", value):
            raise ValueError('expected 1 to 11 digits in quotes (field 32), such as "48020000"')
        return value

    @field_validator("tpdu")
    @classmethod
    def _tpdu(cls, value: str) -> str:
        if not re.fullmatch(r"[0-9A-Fa-f]{10}", value):
            raise ValueError('expected 10 hex digits such as "6000030000" (ID 60, destination, source)')
        if value[:2] != "60":
            raise ValueError(f"the TPDU ID (first two digits) must be 60, not {value[:2]}")
        return value.upper()

    @field_validator("production_hosts", "test_hosts")
    @classmethod
    def _hosts_distinct(cls, value: list[Host], info: ValidationInfo) -> list[Host]:
        keys = [(_host_key(h.address), h.port) for h in value]
        twice = sorted({f"{a}:{p}" for i, (a, p) in enumerate(keys) if (a, p) in keys[:i]})
        if twice:
            raise ValueError(f"{', '.join(twice)} listed twice")
        if info.field_name == "test_hosts":
            production = info.data.get("production_hosts") or []
            both = sorted({str(h) for h in value if any(p.matches(h.address, h.port) for p in production)})
            if both:
                raise ValueError(f"{', '.join(both)} is also a production host; a host is either production or test")
        return value

    # -- use -----------------------------------------------------------------------

    @property
    def field_60_3(self) -> str | None:
        """Network-management code of the sign-on 0800 for this key scheme: 001/003/004; None for DUKPT."""
        return FIELD_60_3[self.key_scheme]

    @property
    def tpdu_bytes(self) -> bytes:
        return bytes.fromhex(self.tpdu)

    def is_production_host(self, address: str, port: int | None = None) -> bool:
        """Whether ``address`` (and ``port``, if given) is one of the acquirer's production hosts."""
        return any(h.matches(address, port) for h in self.production_hosts)

    def is_test_host(self, address: str, port: int | None = None) -> bool:
        """Whether ``address`` (and ``port``, if given) is one of the acquirer's test (UAT) hosts."""
        return any(h.matches(address, port) for h in self.test_hosts)

    def host_role(self, address: str, port: int | None = None) -> Literal["production", "test"] | None:
        """``"production"``, ``"test"`` or None (a host this acquirer does not list)."""
        if self.is_production_host(address, port):
            return "production"
        if self.is_test_host(address, port):
            return "test"
        return None

    def approved_versions(self, vendor: str, model: str) -> ApprovedVersions | None:
        """Approved firmware and apps for a terminal model; None when the profile says nothing about it."""
        return self.approved_firmware.get(f"{vendor.strip()} {model.strip()}")

    def explain(self, code: str) -> ResponseCodeInfo:
        """The meaning of a field 39 code under this acquirer, or a clearly marked unknown entry."""
        entry = self.response_codes.get(code)
        if entry is not None:
            return ResponseCodeInfo(
                code=code,
                known=True,
                profile=self.id,
                zh=entry.zh,
                en=entry.en,
                category=entry.category,
                side=tuple(entry.side),
                action_zh=entry.action_zh,
                action_en=entry.action_en,
                zh_variants=tuple(entry.zh_variants),
                unconfirmed=entry.unconfirmed,
                note=entry.note,
            )
        desk_zh = f"{self.helpdesk.name.zh}（{self.helpdesk.phone}）"
        desk_en = f"{self.helpdesk.name.en} ({self.helpdesk.phone})"
        if CODE_PATTERN.fullmatch(code):
            zh = f"未知应答码 {code}：收单行配置“{self.id}”中没有此码"
            en = f"Unknown response code {code}: not in the acquirer profile '{self.id}'"
        else:
            zh = f"无效应答码 {code!r}：应答码（39域）为两位字符"
            en = f"Not a response code: {code!r} (field 39 is 2 characters, 0-9 or A-Z)"
        return ResponseCodeInfo(
            code=code,
            known=False,
            profile=self.id,
            zh=zh,
            en=en,
            category=None,
            side=(),
            action_zh=f"不要根据终端显示的文字判断原因。记录应答码、显示文字和时间，向{desk_zh}询问此码的含义。",
            action_en=(
                "Do not judge the cause by the terminal's display text. Note the code, the display text "
                f"and the time, and ask {desk_en} what the code means."
            ),
        )


def _describe(err: dict[str, Any]) -> str:
    loc = [str(p) for p in err["loc"]]
    key_itself = bool(loc) and loc[-1] == "[key]"
    if key_itself:
        loc.pop()
    where = ".".join(loc) or "(top level)"
    if err["type"] == "extra_forbidden":
        return f"key '{where}': unknown key (see docs/acquirer-profiles.md for the keys of this table)"
    if err["type"] == "missing":
        return f"key '{where}': required but missing"
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "string_type":
        message = "expected text in quotes"
    given = err.get("input")
    tables = isinstance(given, dict) or (isinstance(given, list) and any(isinstance(v, dict) for v in given))
    shown = "" if tables or key_itself else f" (got {toml_value(given)})"
    return f"key '{where}': {message}{shown}"


def validate(raw: dict[str, Any], profile_id: str, source: str) -> AcquirerProfile:
    if "id" in raw:
        raise ProfileError(f"{source}: key 'id': do not write it; the profile id is the file name ({profile_id})")
    try:
        return AcquirerProfile.model_validate({**raw, "id": profile_id})
    except ValidationError as err:
        raise ProfileError(f"{source}: " + "; ".join(_describe(e) for e in err.errors())) from None
