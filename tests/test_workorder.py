"""Work orders in TOML, JSON and CSV: the values a technician's checks compare against."""

from __future__ import annotations

import json

import pytest

from drivers.resources import resource_root
from techapp.workorder import WorkOrderError, load_work_order

DEMO = resource_root() / "work-orders" / "demo-97.toml"
FIELDS = {
    "id": "WO-1",
    "merchant_name": "示例便利店",
    "site": "广州市天河区体育西路 1 号",
    "mid": "123456789012345",
    "tid": "12345678",
    "serial_number": "82412345",
    "acquirer_profile": "demo",
    "tmk_index": 0,
    "tmk_kcv": "08d7b4",
    "complaint": "刷卡没反应 card not read",
}


def test_the_demo_work_order_matches_the_demo_terminal_contract():
    order = load_work_order(DEMO)
    assert (order.tid, order.mid, order.serial_number) == ("12345678", "123456789012345", "82412345")
    assert order.acquirer_profile == "demo"
    assert order.tmk_kcv_matches("08D7B4FB") is True  # a 3-byte key sheet KCV against the terminal's 4 bytes
    assert order.tmk_kcv_matches("B12B3745") is False


def test_the_three_formats_give_the_same_order(tmp_path):
    (tmp_path / "wo.json").write_text(json.dumps(FIELDS, ensure_ascii=False), encoding="utf-8")
    toml = "\n".join(f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in FIELDS.items())
    (tmp_path / "wo.toml").write_text(toml, encoding="utf-8")
    header = ",".join(FIELDS)
    row = ",".join(str(v) for v in FIELDS.values())
    (tmp_path / "wo.csv").write_text(f"\ufeff{header}\n{row}\n", encoding="utf-8")  # a spreadsheet's BOM
    orders = [load_work_order(tmp_path / f"wo.{ext}") for ext in ("json", "toml", "csv")]
    assert orders[0] == orders[1] == orders[2]
    assert orders[0].tmk_kcv == "08D7B4" and orders[0].tmk_index == 0
    assert orders[0].complaint == "刷卡没反应 card not read"  # the complaint reads the same in every format
    assert {o.site for o in orders} == {"广州市天河区体育西路 1 号"}


def test_a_csv_list_needs_the_id_of_the_job(tmp_path):
    path = tmp_path / "today.csv"
    path.write_text("id,mid,tid\nWO-1,123456789012345,12345678\nWO-2,123456789012346,12345679\n", encoding="utf-8")
    with pytest.raises(WorkOrderError, match="2 work orders \\(WO-1, WO-2\\); say which one with its id"):
        load_work_order(path)
    assert load_work_order(path, "WO-2").tid == "12345679"
    with pytest.raises(WorkOrderError, match="no row with id 'WO-9'"):
        load_work_order(path, "WO-9")


@pytest.mark.parametrize(
    "change, message",
    [
        ({"tid": "1234"}, "field 'tid' must be 8 letters or digits, got '1234'"),
        ({"mid": "12345678901234"}, "field 'mid' must be 15 digits"),
        ({"tmk_kcv": "08D7"}, "field 'tmk_kcv' must be 6 or 8 hex digits"),
        ({"tmk_index": 100}, "field 'tmk_index' must be a key index 0..99"),
        ({"tmk_index": True}, "field 'tmk_index' must be a key index 0..99"),
        ({"colour": "red"}, "unknown field(s) colour"),
        ({"tid": ""}, "field 'tid' is required"),
    ],
)
def test_bad_fields_are_named(tmp_path, change, message):
    path = tmp_path / "wo.json"
    path.write_text(json.dumps({**FIELDS, **change}), encoding="utf-8")
    with pytest.raises(WorkOrderError) as err:
        load_work_order(path)
    assert str(err.value).startswith(f"{path}: ")
    assert message in str(err.value)


def test_a_bad_csv_row_is_named_by_its_row_number(tmp_path):
    path = tmp_path / "wo.csv"
    path.write_text("id,mid,tid\nWO-1,123456789012345,1234\n", encoding="utf-8")
    with pytest.raises(WorkOrderError, match=r"wo.csv: row 2: field 'tid' must be 8 letters or digits"):
        load_work_order(path)


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("wo.toml", 'id = "x', "not valid TOML"),
        ("wo.json", "{", "not valid JSON"),
        ("wo.json", "[]", "a work order is a JSON object"),
        ("wo.xlsx", "", "unknown format .xlsx; use .toml, .json or .csv"),
        ("wo.csv", "id,mid,tid\n", "no work order rows under the header"),
    ],
)
def test_unreadable_files_say_why(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(WorkOrderError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_work_order(path)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(WorkOrderError, match="nope.toml: cannot read"):
        load_work_order(tmp_path / "nope.toml")
