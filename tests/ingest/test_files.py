"""Reading mediation ledgers (.xlsx, .csv, .jsonl) into wire-format records (hub.ingest.files)."""

from __future__ import annotations

import csv
import json
import stat
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from hub.ingest import ledger
from hub.ingest.files import HEADER_ALIASES, FileRow, count_rows, read_file, write_rejected
from hub.ingest.models import RECORD_ADAPTER
from hub.people.identity import credit_code_check_char, resident_id_check_char

# 510199 is a fictitious district code under Chengdu; nobody real has these numbers.
VALID_ID = "51019919850312001" + resident_id_check_char("51019919850312001")
CREDIT_FIRST17 = "91510199MA6CXK4B7"
VALID_CREDIT_CODE = CREDIT_FIRST17 + credit_code_check_char(CREDIT_FIRST17)
REGION = "510199001001"
SOURCE = "PMC-LEDGER"

LEDGER_HEADERS = [
    "序号", "登记时间", "当事人", "身份证号码", "联系电话", "对方当事人", "对方身份证号",
    "纠纷类型", "纠纷名称", "村（社区）代码", "纠纷简要情况", "调解员", "调解结果",
    "协议内容", "协议金额（元）", "风险等级", "备注2",
]


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    """A one-sheet workbook with these rows, from row 1."""
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def ledger_row(**cells: object) -> list[object]:
    """A data row for LEDGER_HEADERS, blank except for the given header=value cells."""
    return [cells.get(header, None) for header in LEDGER_HEADERS]


def rows_by_number(rows: Iterator[FileRow]) -> dict[int, FileRow]:
    """Consume the iterator into {row number: row}."""
    return {row.number: row for row in rows}


@pytest.fixture
def ledger_xlsx(tmp_path: Path) -> Path:
    """A village ledger: agreement (datetime cell), session (text date), bad date, blank row, failure."""
    return write_xlsx(
        tmp_path / "台账.xlsx",
        [
            LEDGER_HEADERS,
            ledger_row(**{
                "序号": 1, "登记时间": datetime(2026, 3, 1, 14, 30), "当事人": "张三", "身份证号码": VALID_ID,
                "联系电话": "１３８００１３８０００", "对方当事人": "某物业服务有限公司", "对方身份证号": VALID_CREDIT_CODE,
                "纠纷类型": "物业", "纠纷名称": "物业费纠纷", "村（社区）代码": REGION,
                "纠纷简要情况": "拖欠物业费引发争议", "调解员": "王五", "调解结果": "调解成功",
                "协议内容": "分两期付清物业费", "协议金额（元）": "12,000元", "风险等级": "低", "备注2": "无",
            }),
            ledger_row(**{
                "序号": 2, "登记时间": "2026年3月2日", "当事人": "李四", "联系电话": "028-85551234",
                "纠纷类型": "婚姻家庭纠纷", "纠纷名称": "赡养纠纷", "村（社区）代码": REGION,
                "调解员": "王五、赵六 钱七", "调解结果": "调解中", "风险等级": "一般",
            }),
            ledger_row(**{"序号": 3, "登记时间": "2026/13/01", "当事人": "孙八", "纠纷类型": "邻里",
                          "纠纷名称": "通道纠纷", "村（社区）代码": REGION}),
            ledger_row(),
            ledger_row(**{"序号": 5, "登记时间": "2026-03-04", "当事人": "周九", "纠纷类型": "邻里纠纷",
                          "村（社区）代码": REGION, "调解结果": "调解不成功", "风险等级": "较大"}),
        ],
    )


def test_xlsx_headers_are_mapped_and_unknown_columns_reported(ledger_xlsx: Path) -> None:
    # Given a ledger with Chinese headers, a full-width parenthesis and an unknown column 备注2
    # When the file is read
    mapping, _ = read_file(ledger_xlsx, source_system=SOURCE)
    # Then every known header maps to its wire field and only 备注2 is unmapped
    assert mapping.unmapped == ["备注2"]
    assert mapping.mapped["当事人"] == "parties[0].name"
    assert mapping.mapped["村（社区）代码"] == "case.regionCode"
    assert mapping.mapped["协议金额（元）"] == "details.amount"
    assert mapping.mapped["登记时间"] == "occurredAt"
    assert mapping.mapped["对方身份证号"] == "parties[1].idNumber"


def test_xlsx_rows_become_valid_wire_records(ledger_xlsx: Path) -> None:
    # Given the ledger (row 5 is blank, row 4 has an impossible date)
    # When its rows are read
    _, rows = read_file(ledger_xlsx, source_system=SOURCE)
    by_number = rows_by_number(rows)
    # Then the blank row is skipped and the row numbers are the spreadsheet's
    assert sorted(by_number) == [2, 3, 4, 6]
    # And the successful mediation is an agreement with terms, amount, +08:00 time and an organisation
    agreement = by_number[2].record
    assert agreement is not None and by_number[2].errors == []
    assert agreement["kind"] == "AGREEMENT"
    assert agreement["sourceId"] == "1"
    assert agreement["occurredAt"] == "2026-03-01T14:30:00+08:00"
    assert agreement["details"] == {"terms": "分两期付清物业费", "amount": 12000.0}
    assert agreement["case"] == {"title": "物业费纠纷", "category": "PROPERTY_MANAGEMENT",
                                 "regionCode": REGION, "riskLevel": "LOW"}
    assert agreement["summary"] == "拖欠物业费引发争议"
    assert agreement["parties"] == [
        {"role": "APPLICANT", "kind": "NATURAL", "name": "张三", "idNumber": VALID_ID, "phone": "１３８００１３８０００"},
        {"role": "RESPONDENT", "kind": "ORGANISATION", "name": "某物业服务有限公司", "creditCode": VALID_CREDIT_CODE},
    ]
    # And the wire format accepts it, folding the full-width phone to digits
    validated = RECORD_ADAPTER.validate_python(agreement)
    assert validated.parties[0].phone == "13800138000"
    assert validated.details.amount == 12000.0


def test_xlsx_session_rows_and_summary_from_title(ledger_xlsx: Path) -> None:
    # Given the ledger's ongoing and failed mediations
    _, rows = read_file(ledger_xlsx, source_system=SOURCE)
    by_number = rows_by_number(rows)
    # When row 3 (text date, 调解中) is looked at
    session = by_number[3].record
    # Then it is a continuing session with split mediators and a summary built from the title
    assert session is not None
    assert session["kind"] == "MEDIATION_SESSION"
    assert session["details"] == {"outcome": "CONTINUING", "mediators": ["王五", "赵六", "钱七"]}
    assert session["occurredAt"] == "2026-03-02T00:00:00+08:00"
    assert session["summary"] == "赡养纠纷"
    assert session["case"]["category"] == "MARRIAGE_FAMILY" and session["case"]["riskLevel"] == "MEDIUM"
    RECORD_ADAPTER.validate_python(session)
    # And row 6 (调解不成功, no title) failed, titled after its category
    failed = by_number[6].record
    assert failed is not None
    assert failed["details"] == {"outcome": "FAILED"}
    assert failed["case"]["title"] == "邻里纠纷" and failed["case"]["riskLevel"] == "HIGH"
    RECORD_ADAPTER.validate_python(failed)


def test_xlsx_bad_date_row_has_no_record_and_names_the_column(ledger_xlsx: Path) -> None:
    # Given the ledger's row 4 with 登记时间 2026/13/01
    _, rows = read_file(ledger_xlsx, source_system=SOURCE)
    # When it is read
    bad = rows_by_number(rows)[4]
    # Then it has no record and one error naming the column and the unreadable text
    assert bad.record is None
    assert bad.errors == ["登记时间: cannot read '2026/13/01' as a date"]
    assert bad.raw["当事人"] == "孙八" and bad.raw["登记时间"] == "2026/13/01"


def test_xlsx_title_row_above_header_is_skipped(tmp_path: Path) -> None:
    # Given a sheet whose row 1 is a title and row 2 the header
    path = write_xlsx(tmp_path / "ledger.xlsx", [
        ["XX村人民调解台账（2026年）"],
        ["编号", "日期", "当事人", "类型", "标题", "网格代码"],
        ["T-1", "2026-03-01", "张三", "合同", "货款纠纷", REGION],
    ])
    # When it is read
    mapping, rows = read_file(path, source_system=SOURCE)
    (row,) = list(rows)
    # Then the header is row 2 and the data row is row 3
    assert mapping.unmapped == [] and mapping.mapped["编号"] == "sourceId"
    assert row.number == 3 and row.record is not None
    assert row.record["sourceId"] == "T-1" and row.record["case"]["category"] == "CONTRACT"
    RECORD_ADAPTER.validate_python(row.record)


def test_xlsx_id_typed_as_number_is_an_error_without_the_value(tmp_path: Path) -> None:
    # Given an ID column Excel stored as a number (only 15 significant digits survive)
    path = write_xlsx(tmp_path / "ledger.xlsx", [
        ["日期", "当事人", "身份证号", "类型", "标题", "区域代码"],
        ["2026-03-01", "张三", float(VALID_ID[:17] + "0"), "合同", "货款纠纷", REGION],
    ])
    # When it is read
    _, rows = read_file(path, source_system=SOURCE)
    (row,) = list(rows)
    # Then the row is refused, the message names the column and repeats no digits
    assert row.record is None
    assert len(row.errors) == 1 and row.errors[0].startswith("身份证号: Excel stored this as a number")
    assert not any(char.isdigit() for char in row.errors[0].replace("15", ""))


def test_gb18030_csv_is_decoded_and_row_ids_default_to_row_number(tmp_path: Path) -> None:
    # Given a CSV saved by Chinese Excel (GB18030) without a 编号 column
    path = tmp_path / "台账.csv"
    path.write_text(
        "受理时间,申请人,手机号,被申请人,纠纷类别,案由,区域代码,调解结果\r\n"
        f"2026/3/5,张三,13800138000,李四,劳资纠纷,拖欠工资,{REGION},达成协议\r\n",
        encoding="gb18030",
    )
    # When it is read
    mapping, rows = read_file(path, source_system=SOURCE)
    (row,) = list(rows)
    # Then the headers and words are decoded and mapped, and the source id is the row number
    assert mapping.unmapped == []
    assert row.number == 2 and row.record is not None
    assert row.record["sourceId"] == "row-2"
    assert row.record["kind"] == "AGREEMENT" and row.record["details"] == {"terms": "达成协议"}
    assert row.record["case"]["category"] == "LABOUR"
    assert [party["name"] for party in row.record["parties"]] == ["张三", "李四"]
    RECORD_ADAPTER.validate_python(row.record)


def test_utf8_sig_csv_with_english_headers_and_case_no(tmp_path: Path) -> None:
    # Given a UTF-8 CSV with a BOM, English headers and an existing hub case number
    path = tmp_path / "export.csv"
    path.write_text(
        "Source ID,Case No,Date,Kind,Summary,Mediators,Result\n"
        "S-9,JF2026-000123,2026-03-01 09:05,调解,第二次调解,\"王五,赵六\",\n"
        "S-10,JF2026-000123,2026-03-08,结案,结案,,调解成功\n",
        encoding="utf-8-sig",
    )
    # When it is read
    mapping, rows = read_file(path, source_system=SOURCE)
    session, closure = list(rows)
    # Then the BOM does not hide the first header, and the records name the case by caseNo only
    assert mapping.mapped["Source ID"] == "sourceId" and mapping.unmapped == []
    assert session.record is not None and closure.record is not None
    assert session.record["sourceId"] == "S-9" and session.record["caseNo"] == "JF2026-000123"
    assert "case" not in session.record
    assert session.record["occurredAt"] == "2026-03-01T09:05:00+08:00"
    assert session.record["details"] == {"outcome": "CONTINUING", "mediators": ["王五", "赵六"]}
    assert closure.record["kind"] == "CLOSURE" and closure.record["details"] == {"outcome": "RESOLVED"}
    for row in (session, closure):
        RECORD_ADAPTER.validate_python(row.record)


def test_unknown_words_are_mapping_errors(tmp_path: Path) -> None:
    # Given a CSV with an unknown category, result word, risk level and a closure without result
    path = tmp_path / "words.csv"
    path.write_text(
        "日期,纠纷类型,调解结果,风险等级,记录类型,标题,区域代码\n"
        f"2026-03-01,宅基地,还行,极高,,甲,{REGION}\n"
        f"2026-03-01,合同,,,结案,乙,{REGION}\n",
        encoding="utf-8",
    )
    # When it is read
    _, rows = read_file(path, source_system=SOURCE)
    words, closure = list(rows)
    # Then each unreadable word is reported with its column, and neither row has a record
    assert words.record is None and closure.record is None
    assert words.errors == [
        "调解结果: cannot read '还行' as a mediation result (调解成功, 调解不成功 or 调解中)",
        "纠纷类型: cannot read '宅基地' as a dispute category",
        "风险等级: cannot read '极高' as a risk level (低, 中, 高, 重大)",
    ]
    assert closure.errors == ["记录类型: a closure (结案) needs a 调解结果 saying whether mediation succeeded"]


def test_jsonl_lines_are_records_by_line_number(tmp_path: Path) -> None:
    # Given a JSONL file: a record, a blank line, broken JSON and an array
    record = {"kind": "INTAKE", "sourceId": "J-1", "occurredAt": "2026-03-01T10:00:00+08:00",
              "summary": "受理", "caseNo": "JF2026-000001", "details": {}}
    path = tmp_path / "batch.JSONL"
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n\n{broken\n[1, 2]\n", encoding="utf-8")
    # When it is read
    mapping, rows = read_file(path, source_system=SOURCE)
    good, broken, array = list(rows)
    # Then there is no header mapping, the record passes through and bad lines carry errors
    assert mapping.mapped == {} and mapping.unmapped == []
    assert (good.number, good.record, good.errors) == (1, record, [])
    RECORD_ADAPTER.validate_python(good.record)
    assert broken.number == 3 and broken.record is None and broken.errors[0].startswith("not valid JSON")
    assert array.number == 4 and array.record is None


def test_unsupported_suffix_is_refused(tmp_path: Path) -> None:
    # Given an old-style Excel file
    path = tmp_path / "ledger.xls"
    path.write_bytes(b"")
    # When it is read or counted, Then a ValueError names the supported types
    with pytest.raises(ValueError, match=r"unsupported file type \.xls; use \.jsonl, \.csv or \.xlsx"):
        read_file(path, source_system=SOURCE)
    with pytest.raises(ValueError, match="unsupported file type"):
        count_rows(path)


def test_xls_renamed_to_xlsx_is_refused(tmp_path: Path) -> None:
    # Given a file named .xlsx that is not a zip workbook (an old .xls renamed)
    path = tmp_path / "ledger.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0 not a zip")
    # When it is read, Then a ValueError explains the file cannot be opened as a workbook
    with pytest.raises(ValueError, match="cannot open the file as an Excel workbook"):
        read_file(path, source_system=SOURCE)


def test_rows_are_read_lazily(tmp_path: Path) -> None:
    # Given a CSV of 1000 rows
    path = tmp_path / "big.csv"
    lines = ["日期,当事人,类型,标题,区域代码"] + [f"2026-03-01,张{i},合同,货款,{REGION}" for i in range(1000)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # When only the first row is taken
    _, rows = read_file(path, source_system=SOURCE)
    first = next(rows)
    # Then it is row 2 and the rest are still to come
    assert first.number == 2 and not isinstance(rows, list)
    assert sum(1 for _ in rows) == 999


def test_count_rows(tmp_path: Path, ledger_xlsx: Path) -> None:
    # Given a csv with header and 3 rows (no final newline), a jsonl of 2 lines and the ledger
    csv_path = tmp_path / "a.csv"
    csv_path.write_text("h1,h2\n1,2\n3,4\n5,6", encoding="utf-8")
    jsonl_path = tmp_path / "a.jsonl"
    jsonl_path.write_text("{}\n{}\n", encoding="utf-8")
    # When counted, Then data rows are counted (header excluded), the xlsx by its max_row
    assert count_rows(csv_path) == 3
    assert count_rows(jsonl_path) == 2
    assert count_rows(ledger_xlsx) == 5


def test_write_rejected_is_excel_readable_and_reimportable(ledger_xlsx: Path) -> None:
    # Given the ledger's bad-date row, rejected with its reason
    _, rows = read_file(ledger_xlsx, source_system=SOURCE)
    bad = [(row, "; ".join(row.errors)) for row in rows if row.record is None]
    # When the rejected file is written
    out = write_rejected(ledger_xlsx, bad)
    # Then it lies beside the input, starts with a BOM and holds the original columns, 行号 and 拒收原因
    assert out == ledger_xlsx.with_name("台账.rejected.csv")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # the rows carry the parties' identifiers
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    with out.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == [*LEDGER_HEADERS, "行号", "拒收原因"]
        (written,) = list(reader)
    assert written["行号"] == "4" and written["当事人"] == "孙八"
    assert written["拒收原因"] == "登记时间: cannot read '2026/13/01' as a date"
    # And when the user fixes the date and imports the rejected file, the row keeps its ledger id
    fixed = out.read_text(encoding="utf-8-sig").replace("2026/13/01", "2026/1/13")
    out.write_text(fixed, encoding="utf-8-sig")
    mapping, again = read_file(out, source_system=SOURCE)
    (row,) = list(again)
    assert row.record is not None and row.record["sourceId"] == "3"
    assert mapping.unmapped == ["备注2", "拒收原因"]


def test_write_rejected_keeps_row_number_when_ledger_has_no_id(tmp_path: Path) -> None:
    # Given a ledger without an id column whose row 3 is rejected, and a rejected file of it
    path = tmp_path / "l.csv"
    path.write_text(f"日期,当事人,类型,标题,区域代码\n2026-03-01,甲,合同,一,{REGION}\n"
                    f"2026-13-01,乙,合同,二,{REGION}\n", encoding="utf-8")
    _, rows = read_file(path, source_system=SOURCE)
    out = write_rejected(path, [(row, row.errors[0]) for row in rows if row.errors])
    # When the fixed rejected file is read
    out.write_text(out.read_text(encoding="utf-8-sig").replace("2026-13-01", "2026-01-13"), encoding="utf-8-sig")
    _, again = read_file(out, source_system=SOURCE)
    (row,) = list(again)
    # Then the default source id is still the ledger's row, not the rejected file's
    assert row.number == 2 and row.record is not None and row.record["sourceId"] == "row-3"


def test_write_rejected_with_nothing_rejected(tmp_path: Path) -> None:
    # Given no rejected rows, When the rejected file is written, Then it holds just the header
    out = write_rejected(tmp_path / "ok.csv", [])
    assert out.read_text(encoding="utf-8-sig").strip() == "行号,拒收原因"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01", "2026-03-01T00:00:00+08:00"),
        ("2026/3/1", "2026-03-01T00:00:00+08:00"),
        ("2026年3月1日", "2026-03-01T00:00:00+08:00"),
        ("２０２６年３月１日", "2026-03-01T00:00:00+08:00"),
        ("2026-03-01 14:30", "2026-03-01T14:30:00+08:00"),
        ("2026.3.1 8:05:09", "2026-03-01T08:05:09+08:00"),
        ("2026-03-01T06:30:00Z", "2026-03-01T06:30:00+00:00"),
        ("20260301", "2026-03-01T00:00:00+08:00"),
        ("46082", "2026-03-01T00:00:00+08:00"),
        ("2026/13/01", None),
        ("2026", None),
        ("昨天", None),
    ],
)
def test_date_formats(text: str, expected: str | None) -> None:
    # Given a ledger date text, When parsed, Then it is ISO 8601 with +08:00 by default (or unreadable)
    assert ledger.parse_datetime(text) == expected


@pytest.mark.parametrize(
    ("header", "field"),
    [(" 当事人 ", "parties[0].name"), ("当事人（申请人）", "parties[0].name"), ("*联系电话", "parties[0].phone"),
     ("Respondent Phone", "parties[1].phone"), ("occurred_at", "occurredAt"), ("案号", "caseNo"),
     ("ＣＡＴＥＧＯＲＹ", "case.category"), ("备注", None)],
)
def test_header_variants(header: str, field: str | None) -> None:
    # Given a header variant, When looked up, Then spaces, full-width forms, marks and case are ignored
    assert ledger.field_for_header(header) == field
    assert HEADER_ALIASES["纠纷类型"] == "case.category"


@pytest.mark.parametrize(
    ("text", "outcome"),
    [("调解成功", "AGREED"), ("达成协议", "AGREED"), ("经调解双方达成协议，分两期还款", "AGREED"),
     ("调解不成功", "FAILED"), ("未能达成协议，已引导诉讼", "FAILED"), ("调解中", "CONTINUING"),
     ("FAILED", "FAILED"), ("还行", None)],
)
def test_result_words(text: str, outcome: str | None) -> None:
    # Given a 调解结果 cell, When read, Then exact words and free text map to an outcome, negations first
    found = ledger.result_for(text)
    assert (found.value if found else None) == outcome


@pytest.mark.parametrize(
    ("text", "amount"), [("12,000元", 12000.0), ("1.5万元", 15000.0), ("￥3，500", 3500.0), ("面议", None), ("nan", None)]
)
def test_amounts(text: str, amount: float | None) -> None:
    # Given an amount cell, When parsed, Then yuan come out (or None when unreadable)
    assert ledger.parse_amount(text) == amount


def test_docs_list_every_header_alias() -> None:
    # Given the user documentation of the file import
    docs = (Path(__file__).parents[2] / "docs" / "ingest-files.md").read_text(encoding="utf-8")
    # When every header alias is looked for in it
    missing = [alias for alias in HEADER_ALIASES if alias not in docs]
    # Then none is missing, so the table and the code stay in step
    assert missing == []
