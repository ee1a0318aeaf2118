"""`hub import`: a village's Excel ledger with Chinese headers, through the real command."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from pymongo.asynchronous.database import AsyncDatabase

from hub.config import Settings
from tests.factories import resident_id
from tests.processes import hub_env, run_hub

HEADERS = ["序号", "登记时间", "当事人", "身份证号码", "联系电话", "对方当事人", "纠纷类型", "纠纷名称",
           "村（社区）代码", "纠纷简要情况", "调解员", "调解结果", "协议内容", "备注2"]


def ledger(path: Path, good_id: str) -> Path:
    """Three rows: an agreement, a failed session, and one with a mistyped ID number."""
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    sheet.append(["1", datetime(2026, 3, 1, 9, 30), "张三", good_id, "１３８００１３８０００", "李四", "邻里纠纷",
                  "宅基地边界纠纷", "510199001001", "双方因宅基地边界发生争执", "王调解", "调解成功", "重新确定界桩", "x"])
    sheet.append(["2", "2026/3/5", "赵六", "", "13900001111", "钱七", "劳动争议", "拖欠工资",
                  "510199001002", "拖欠工资三个月", "王调解、李调解", "调解不成功", "", ""])
    sheet.append(["3", "2026年3月8日", "孙八", good_id[:-1] + ("1" if good_id[-1] != "1" else "2"), "",
                  "周九", "婚姻家庭", "离婚财产分割", "510199001001", "财产分割争议", "王调解", "调解中", "", ""])
    book.save(path)
    return path


@pytest.mark.usefixtures("district")
async def test_excel_ledger_with_chinese_headers_imports(
    tmp_path: Path, settings: Settings, database: AsyncDatabase
) -> None:
    good_id = resident_id(seq=77)
    path = ledger(tmp_path / "桃源村调解台账.xlsx", good_id)
    env = hub_env(HUB_MONGODB_URL=settings.mongodb_url or "", HUB_DB=settings.db,
                  HUB_DATA_DIR=str(settings.data_dir), HUB_SECRET_KEY=settings.secret_key or "")

    result = run_hub("import", str(path), "--agency", "PMC-A", env=env)

    assert result.returncode == 0, result.stderr
    assert "3 rows: 2 created, 0 updated, 0 unchanged, 1 rejected" in result.stdout
    assert "备注2" in result.stderr  # the column it could not map is named
    assert good_id not in result.stdout + result.stderr
    agreement = await database.records.find_one({"source_id": "1"})
    assert agreement["kind"] == "AGREEMENT" and agreement["source_system"] == "PMC-A:桃源村调解台账"
    assert agreement["details"]["terms"] == "重新确定界桩"
    session = await database.records.find_one({"source_id": "2"})
    assert session["kind"] == "MEDIATION_SESSION" and session["details"]["outcome"] == "FAILED"
    assert session["details"]["mediators"] == ["王调解", "李调解"]
    assert await database.cases.count_documents({}) == 2
    with (tmp_path / "桃源村调解台账.rejected.csv").open(encoding="utf-8-sig") as fh:
        [rejected] = list(csv.DictReader(fh))
    assert rejected["行号"] == "4" and "INVALID_ID_NUMBER_CHECK_DIGIT" in rejected["拒收原因"]

    again = run_hub("import", str(path), "--agency", "PMC-A", env=env)
    assert "3 rows: 0 created, 0 updated, 2 unchanged, 1 rejected" in again.stdout


def test_unknown_file_type_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "ledger.doc"
    path.write_text("not a ledger")

    result = run_hub("import", str(path), "--agency", "PMC-A", env=hub_env(HUB_MONGODB_URL="mongodb://127.0.0.1:1/"))

    assert result.returncode == 1
    assert result.stderr.startswith("hub: unsupported file type .doc")
