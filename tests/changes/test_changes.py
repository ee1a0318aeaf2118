"""The change log: what writes log, `changes` over GraphQL for a caller's scope, `hub export` and its ledger."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from hub.changes import export as exporter, ledger, log, service
from hub.changes.models import Change, ChangeEntity
from hub.cases.models import Case
from hub.errors import BadUserInput
from hub.records.models import Record
from tests.conftest import TokenFor, act_as
from tests.factories import VILLAGE_B1, batch, party, record, resident_id
from tests.graphql import first_error, gql
from tests.scenarios import ingest

CHANGES = """query($since: String, $first: Int) { changes(since: $since, first: $first) {
  cursor hasMore entries { seq cursor entity key revision caseNo
    case { caseNo status revision } record { id kind } } } }"""


def opening(n: int, *, region: str | None = None, **extra: Any) -> dict[str, Any]:
    case = {"case": {"title": "拖欠工资纠纷", "category": "LABOUR", "regionCode": region}} if region else {}
    return record(f"r{n}", "INTAKE", parties=[party(f"当事人{n}", idNumber=resident_id(seq=n))], **case, **extra)


async def entries() -> list[dict[str, Any]]:
    return await Change.get_pymongo_collection().find({}).sort("seq", 1).to_list()


async def read_all(http: httpx.AsyncClient, *, first: int = 3, since: str | None = None) -> tuple[list[dict[str, Any]], str]:
    """Every entry `changes` gives from `since`, page by page; and the cursor at the end."""
    got: list[dict[str, Any]] = []
    while True:
        page = (await gql(http, CHANGES, since=since, first=first))["changes"]
        got += page["entries"]
        since = page["cursor"]
        if not page["hasMore"]:
            return got, since


async def test_a_batch_logs_its_records_then_its_cases_and_a_replay_logs_nothing(district: Any) -> None:
    sent = batch("PMC-A", opening(1), record("r1-s", "MEDIATION_SESSION", caseRef={"sourceId": "r1"}))
    await ingest(sent)
    logged = await entries()
    assert [e["entity"] for e in logged] == ["RECORD", "RECORD", "CASE"]
    assert [e["seq"] for e in logged] == sorted(e["seq"] for e in logged)
    case = await Case.get_pymongo_collection().find_one({})
    assert logged[-1]["_id"] == f"case:{case['_id']}:{case['revision']}" and logged[-1]["doc"] == case
    stored = {d["_id"]: d for d in await Record.get_pymongo_collection().find({}).to_list()}
    assert {e["doc"]["_id"]: e["doc"] for e in logged[:2]} == stored

    await ingest(sent)  # the same batch again: nothing new to log
    assert len(await entries()) == 3
    # A new source revision is a change of the record and of its case.
    await ingest(batch("PMC-A", record("r1-s", "MEDIATION_SESSION", caseRef={"sourceId": "r1"}, sourceRevision=1,
                                       details={"mediators": ["李调解"], "outcome": "AGREED"})))
    after = (await entries())[3:]
    assert [(e["entity"], e["revision"]) for e in after] == [("RECORD", 1), ("CASE", case["revision"] + 1)]


async def test_a_write_cut_short_before_its_log_is_logged_by_the_replay(district: Any) -> None:
    sent = batch("PMC-A", opening(1), record("r1-s", "MEDIATION_SESSION", caseRef={"sourceId": "r1"}))
    await ingest(sent)
    await Change.get_pymongo_collection().delete_many({})  # as if the process died after writing, before logging
    await ingest(sent)
    assert sorted(e["entity"] for e in await entries()) == ["CASE", "RECORD", "RECORD"]


async def test_two_writers_logging_one_entry_write_it_once_and_leave_no_gap(district: Any) -> None:
    await ingest(batch("PMC-A", opening(1)))
    case = await Case.get_pymongo_collection().find_one({})
    await Change.get_pymongo_collection().delete_many({})
    # Both find the key absent, both take a number; the second insert loses: its number becomes VOID.
    same = [{"_id": "case:x:1", "entity": "CASE", "case_id": case["_id"], "case_no": "x", "revision": 1, "doc": {}}
            for _ in range(2)]
    written = await asyncio.gather(log.append([dict(same[0])]), log.append([dict(same[1])]))
    logged = await entries()
    assert sorted(written) == [0, 1]  # one of them wrote it
    assert [e["_id"] for e in logged if e["entity"] == "CASE"] == ["case:x:1"]
    # When both took a number (both found the key absent), the loser's is VOID: readers are not held up by it.
    assert [e["entity"] for e in logged] in (["CASE"], ["CASE", "VOID"], ["VOID", "CASE"])
    read = await log.read_after(logged[0]["seq"] - 1, now=logged[0]["at"], gap_seconds=3600, limit=10)
    assert [e["seq"] for e in read] == [e["seq"] for e in logged]


async def test_changes_pages_through_everything_the_caller_may_see_once(
        http: httpx.AsyncClient, token_for: TokenFor) -> None:
    await ingest(batch("PMC-A", opening(1), opening(2), record("r2-s", "MEDIATION_SESSION", caseRef={"sourceId": "r2"})))
    await ingest(batch("PMC-B", opening(3, region=VILLAGE_B1)))
    await ingest(batch("SO", record("so-1", "STABILITY_ASSESSMENT", caseRef={"sourceSystem": "PMC-A-SYS", "sourceId": "r1"},
                                    visibility="RESTRICTED")))
    logged = [e for e in await entries() if e["entity"] != ChangeEntity.VOID]
    everything, end = await read_all(http, first=2)  # the district's coordination centre
    assert [e["key"] for e in everything] == [e["_id"] for e in logged]
    assert len({e["seq"] for e in everything}) == len(everything)
    case_entries = [e for e in everything if e["entity"] == "CASE"]
    assert all(e["case"]["caseNo"] == e["caseNo"] and e["record"] is None for e in case_entries)
    # Nothing more from the end; a new write comes next, and only it.
    assert (await read_all(http, since=end))[0] == []
    await ingest(batch("PMC-B", record("r3-s", "MEDIATION_SESSION", caseRef={"sourceSystem": "PMC-B-SYS", "sourceId": "r3"})))
    more, _ = await read_all(http, since=end)
    assert [(e["entity"], e["record"] and e["record"]["kind"]) for e in more] == [("RECORD", "MEDIATION_SESSION"),
                                                                                ("CASE", None)]

    # PMC-B sees its own case only; PMC-A its two cases, without the stability office's restricted record.
    act_as(http, token_for("PMC-B"))
    theirs, _ = await read_all(http)
    assert {e["caseNo"] for e in theirs} == {more[0]["caseNo"]}
    act_as(http, token_for("PMC-A"))
    ours, _ = await read_all(http, first=500)
    assert more[0]["caseNo"] not in {e["caseNo"] for e in ours}
    assert "STABILITY_ASSESSMENT" not in {e["record"]["kind"] for e in ours if e["record"]}
    act_as(http, token_for("SO"))
    assert "STABILITY_ASSESSMENT" in {e["record"]["kind"] for e in (await read_all(http))[0] if e["record"]}


async def test_a_cursor_the_hub_did_not_make_is_refused_with_a_code(http: httpx.AsyncClient) -> None:
    for bad in ("nonsense", "eyJub3QiOiAiY3Vyc29yIn0=", service.cursor(1)[:-2] + "zz"):
        error = await first_error(http, CHANGES, since=bad)
        assert (error["code"], error["field"]) == ("BAD_USER_INPUT", "since"), error
    error = await first_error(http, CHANGES, first=501)
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", "first")


async def test_changes_are_audited_with_the_cases_they_showed(http: httpx.AsyncClient) -> None:
    from hub.audit.models import AuditEntry

    await ingest(batch("PMC-A", opening(1)))
    shown, _ = await read_all(http)
    entry = await AuditEntry.find_one({"operation": "changes"})
    assert entry is not None and entry.target_ids == [shown[0]["caseNo"]]


async def export_to(path: Path, *, since: int = 0, until: int | None = None, form: str = "jsonl",
                    mapping: ledger.LedgerMapping | None = None) -> exporter.Exported:
    return await exporter.run(out=path, form=exporter.Format(form), since=since, until=until, gap_seconds=30,
                              mapping=mapping or ledger.load())


async def test_incremental_exports_while_cases_arrive_equal_one_export_of_everything(
        district: Any, tmp_path: Path) -> None:
    async def arrive(agency: str, start: int) -> None:
        for n in range(start, start + 12):
            await ingest(batch(agency, opening(n), record(f"r{n}-s", "MEDIATION_SESSION", caseRef={"sourceId": f"r{n}"})))

    writers = asyncio.gather(arrive("PMC-A", 0), arrive("HRSS", 100))
    parts: list[Path] = []
    since = 0
    while not writers.done() or not parts:
        part = tmp_path / f"part-{len(parts)}.jsonl"
        since = (await export_to(part, since=since)).until
        parts.append(part)
        await asyncio.sleep(0.01)
    await writers
    last = tmp_path / "last.jsonl"
    await export_to(last, since=since)
    whole = tmp_path / "whole.jsonl"
    everything = await export_to(whole)

    joined = b"".join(p.read_bytes() for p in [*parts, last])
    assert len(parts) > 2  # the exports did run while the cases arrived
    assert joined == whole.read_bytes()
    lines = [json.loads(x) for x in whole.read_text().splitlines()]
    assert len({x["key"] for x in lines}) == len(lines) == everything.entries
    # Every record and every case as it stands is in it.
    records = {d["_id"] for d in await Record.get_pymongo_collection().find({}, {"_id": 1}).to_list()}
    assert {x["doc"]["_id"] for x in lines if x["entity"] == "RECORD"} == records and len(records) == 48
    cases = {f"case:{d['_id']}:{d['revision']}" for d in await Case.get_pymongo_collection().find({}).to_list()}
    assert cases <= {x["key"] for x in lines}


async def test_a_rerun_from_the_same_cursor_writes_the_same_file(district: Any, tmp_path: Path) -> None:
    await ingest(batch("PMC-A", opening(1), opening(2)))
    first = await export_to(tmp_path / "a.jsonl")
    await ingest(batch("PMC-A", opening(3)))  # arrives after the first run
    again = await export_to(tmp_path / "b.jsonl", since=first.since, until=first.until)
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    assert (again.entries, again.next_cursor) == (first.entries, first.next_cursor)
    book = [await export_to(tmp_path / f"{n}.xlsx", until=first.until, form="xlsx") for n in ("c", "d")]
    assert book[0].rows == 2
    assert [rows(tmp_path / f"{n}.xlsx") for n in "c"] == [rows(tmp_path / f"{n}.xlsx") for n in "d"]


def rows(path: Path, sheet: str | None = None) -> list[list[Any]]:
    workbook = load_workbook(path, read_only=True)
    return [list(r) for r in workbook[sheet or workbook.sheetnames[0]].iter_rows(values_only=True)]


async def test_the_ledger_holds_each_case_once_in_the_provinces_columns(district: Any, tmp_path: Path) -> None:
    await ingest(batch("PMC-A", opening(1)))
    await ingest(batch("PMC-A", record("r1-c", "CLOSURE", caseRef={"sourceId": "r1"})))  # a second revision
    done = await export_to(tmp_path / "ledger.xlsx", form="xlsx")
    header, *body = rows(tmp_path / "ledger.xlsx", "矛盾纠纷排查调处台账")
    assert header[:5] == ["登记编号", "纠纷简要情况", "当事人", "纠纷类别", "排查时间"]
    assert (done.cases, done.rows, len(body)) == (2, 1, 1)
    row = dict(zip(header, body[0]))
    case = await Case.get_pymongo_collection().find_one({})
    assert (row["登记编号"], row["当事人"], row["纠纷类别"], row["调解组织"], row["调解结果"], row["涉及人数"],
            row["版本"]) == (case["case_no"], "当事人1", "劳动争议", "柳林镇人民调解委员会", "调解成功", 1,
                           case["revision"])
    assert row["发生地"] and row["所属镇(街道)"] == "柳林镇"
    about = dict(rows(tmp_path / "ledger.xlsx", "导出说明"))
    assert (about["映射版本"], about["截止游标 (--until)"]) == ("sichuan-1", done.next_cursor)
    # The JSON Lines carry the same row under `ledger`.
    await export_to(tmp_path / "all.jsonl")
    cases = [json.loads(x) for x in (tmp_path / "all.jsonl").read_text().splitlines() if '"entity":"CASE"' in x]
    assert cases[-1]["ledger"]["纠纷类别"] == "劳动争议" and cases[-1]["ledger"]["mapping"] == "sichuan-1"


async def test_a_new_provincial_format_is_a_new_mapping_file(district: Any, tmp_path: Path) -> None:
    await ingest(batch("PMC-A", opening(1)))
    mapping = tmp_path / "v2.toml"
    mapping.write_text('name = "台账"\nversion = "sichuan-2"\nsheet = "台账"\n'
                       '[[columns]]\nheader = "编号"\nfield = "case_no"\n'
                       '[[columns]]\nheader = "类别代码"\nfield = "category"\n'
                       '[[columns]]\nheader = "参与单位"\nfield = "agencies"\njoin = "/"\n', encoding="utf-8")
    await export_to(tmp_path / "v2.xlsx", form="xlsx", mapping=ledger.load(mapping))
    assert rows(tmp_path / "v2.xlsx", "台账")[0] == ["编号", "类别代码", "参与单位"]
    assert rows(tmp_path / "v2.xlsx", "台账")[1][1:] == ["LABOUR", "柳林镇人民调解委员会"]

    mapping.write_text('name = "台账"\nversion = "3"\nsheet = "台账"\n[[columns]]\nheader = "编号"\nfield = "case_number"\n',
                       encoding="utf-8")
    with pytest.raises(BadUserInput, match="unknown field 'case_number'"):
        ledger.load(mapping)
    mapping.write_text('name = "台账"\nversion = "3"\nsheet = "台账"\n[[columns]]\nheader = "编号"\nfield = "title"\nlabel = true\n',
                       encoding="utf-8")
    with pytest.raises(BadUserInput, match="'title' has no labels"):
        ledger.load(mapping)
    mapping.write_text("name = [", encoding="utf-8")
    with pytest.raises(BadUserInput, match="not valid TOML"):
        ledger.load(mapping)


async def test_backfill_logs_a_database_written_before_the_log(district: Any) -> None:
    await ingest(batch("PMC-A", opening(1), opening(2)))
    await Change.get_pymongo_collection().delete_many({})
    assert await log.backfill(batch_size=1) == (2, 2)
    assert await log.backfill() == (0, 0)
    assert [e["entity"] for e in await entries()] == ["RECORD", "RECORD", "CASE", "CASE"]


async def test_hub_export_as_a_process_prints_where_the_next_run_starts(
        district: Any, settings: Any, tmp_path: Path) -> None:
    from tests.processes import hub_env, run_hub

    env = hub_env(HUB_MONGODB_URL=settings.mongodb_url or "", HUB_DB=settings.db,
                  HUB_SECRET_KEY=settings.secret_key or "", HUB_DATA_DIR=str(tmp_path / "var"))
    await ingest(batch("PMC-A", opening(1)))
    first = await asyncio.to_thread(run_hub, "export", "--format", "xlsx", "--out", str(tmp_path / "a.xlsx"), env=env)
    assert first.returncode == 0, first.stderr
    cursor = first.stdout.strip()
    assert service.position(cursor) == (await entries())[-1]["seq"]
    assert "1 ledger rows" in first.stderr and (tmp_path / "a.xlsx").stat().st_mode & 0o777 == 0o600
    await ingest(batch("PMC-A", opening(2)))
    more = await asyncio.to_thread(run_hub, "export", "--since", cursor, "--out", str(tmp_path / "b.jsonl"), env=env)
    assert more.returncode == 0, more.stderr
    lines = [json.loads(x) for x in (tmp_path / "b.jsonl").read_text().splitlines()]
    assert [x["entity"] for x in lines] == ["RECORD", "CASE"] and lines[-1]["cursor"] == more.stdout.strip()
    # A cursor the hub did not make, a mapping that is wrong: exit 1 with the reason, no file.
    bad = await asyncio.to_thread(run_hub, "export", "--since", "xyz", "--out", str(tmp_path / "c.jsonl"), env=env)
    assert (bad.returncode, "not a cursor of the change log" in bad.stderr) == (1, True), bad.stderr
    wrong = tmp_path / "wrong.toml"
    wrong.write_text('name = "x"\nversion = "1"\nsheet = "x"\ncolumns = []\n', encoding="utf-8")
    refused = await asyncio.to_thread(run_hub, "export", "--mapping", str(wrong), "--out", str(tmp_path / "c.jsonl"),
                                      env=env)
    assert refused.returncode == 1 and "columns" in refused.stderr and not (tmp_path / "c.jsonl").exists()


async def test_every_agency_kind_reads_exactly_the_entries_of_the_cases_it_may_see(
        http: httpx.AsyncClient, token_for: TokenFor) -> None:
    from hub.auth import policy
    from tests.factories import agencies, regions

    await ingest(batch("PMC-A", opening(1), record("h1", "HANDOVER", caseRef={"sourceId": "r1"},
                                                   details={"toAgency": "HRSS"})),
                 batch("PMC-B", opening(2, region=VILLAGE_B1)),
                 batch("COURT", record("c1", "JUDICIAL_CONFIRMATION", caseRef={"sourceSystem": "PMC-B-SYS", "sourceId": "r2"})),
                 batch("SO", record("so-1", "STABILITY_ASSESSMENT", visibility="RESTRICTED",
                                    caseRef={"sourceSystem": "PMC-A-SYS", "sourceId": "r1"})))
    logged = [e for e in await entries() if e["entity"] != ChangeEntity.VOID]
    cases = {c["_id"]: c for c in await Case.get_pymongo_collection().find({}).to_list()}
    paths = {r.code: tuple(r.path) for r in regions()}
    seen: dict[str, int] = {}
    for agency in agencies():
        principal = policy.Principal(agency_code=agency.code, agency_kind=agency.kind,
                                     region_path=paths[agency.region_code], user="核对", roles=frozenset())
        expected = [e["_id"] for e in logged if policy.can_view_case(principal, cases[e["case_id"]])
                    and (e["entity"] == "CASE" or e["doc"].get("visibility") != "RESTRICTED"
                         or policy.can_read_restricted(principal))]
        got, _ = await read_all(act_as(http, token_for(agency.code)), first=500)
        assert [e["key"] for e in got] == expected, agency.code
        seen[agency.code] = len(expected)
    assert seen["PB"] == 0 and 0 < seen["HRSS"] < seen["CC-A"] < seen["CC"] == len(logged)  # scopes differ
    assert seen["PMC-A"] < seen["CC-A"]  # the restricted assessment is not PMC-A's
