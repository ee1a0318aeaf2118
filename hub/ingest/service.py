"""Ingestion: validate each record, resolve its parties, attach it to a case, write, re-derive.

Every step works on the whole batch with a bounded number of round trips. A bad record is
reported by index and never blocks the good ones; replaying a batch changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

from beanie import PydanticObjectId
from pydantic import ValidationError

from hub.agencies import service as agency_service
from hub.agencies.models import AgencyKind
from hub.cases import service as case_service
from hub.cases.derive import handover_states
from hub.cases.models import Case
from hub.changes import log as change_log
from hub.errors import BadUserInput
from hub.ingest import referrals
from hub.ingest.models import MAX_BATCH_SIZE, RECORD_ADAPTER, Code, RecordBase, SystemName
from hub.notifications import outbox
from hub.people import merge as person_merge
from hub.people import review as person_review
from hub.people import service as person_service
from hub.keys.ring import KeyRing
from hub.records import service as record_service
from hub.records.service import to_document
from hub.records.enums import HandoverStatus, RecordKind
from hub.records.models import RECORD_CLASSES, CaseStatement, RecordParty, SourceRef, record_key
from hub.regions import service as region_service
from hub.regions.models import Region

DEFAULT_MATCH_WINDOW = timedelta(days=90)


class RecordStatus(StrEnum):
    """What ingestion did with one record."""

    CREATED = "CREATED"
    UPDATED = "UPDATED"
    UNCHANGED = "UNCHANGED"
    REJECTED = "REJECTED"


@dataclass(frozen=True)
class FieldError:
    """One problem with a record: where, a stable code, and what to do about it."""

    path: str
    code: str
    message: str


@dataclass
class RecordOutcome:
    """The result for the record at `index` of the batch."""

    index: int
    status: RecordStatus = RecordStatus.REJECTED
    source_id: str | None = None
    record_id: PydanticObjectId | None = None
    case_id: PydanticObjectId | None = None
    case_no: str | None = None
    errors: list[FieldError] = field(default_factory=list)


@dataclass
class IngestOutcome:
    """Per-record results, in batch order."""

    results: list[RecordOutcome]

    def count(self, status: RecordStatus) -> int:
        """How many records ended with status."""
        return sum(1 for r in self.results if r.status is status)


@dataclass
class _Item:
    """A record on its way through the pipeline."""

    outcome: RecordOutcome
    data: RecordBase | None = None
    key: tuple[str, str] = ("", "")
    existing: dict[str, Any] | None = None
    person_ids: list[str] = field(default_factory=list)
    region: Region | None = None
    case_from: tuple[str, str] | None = None  # the record of this batch its case came from (opened, referred, matched)
    stored_revision: int | None = None  # found stored at this revision and left as it is (UNCHANGED)

    def reject(self, path: str, code: str, message: str) -> None:
        self.outcome.errors.append(FieldError(path, code, message))
        self.outcome.status = RecordStatus.REJECTED
        self.data = None


def _path(loc: Sequence[Any], kind_tag: Any) -> str:
    parts = list(loc[1:] if loc and loc[0] == kind_tag else loc)
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


_KIND_ERRORS = {"union_tag_invalid": "INVALID_KIND", "union_tag_not_found": "KIND_REQUIRED"}


def _validate(index: int, raw: Any) -> _Item:
    item = _Item(outcome=RecordOutcome(index=index))
    try:
        item.data = RECORD_ADAPTER.validate_python(raw)
    except ValidationError as exc:
        tag = raw.get("kind") if isinstance(raw, Mapping) else None
        for err in exc.errors(include_input=False, include_url=False):
            if err["type"] in _KIND_ERRORS:
                item.outcome.errors.append(FieldError("kind", _KIND_ERRORS[err["type"]], err["msg"]))
                continue
            code = err["type"] if err["type"].isupper() else f"INVALID_{err['type'].upper()}"
            item.outcome.errors.append(FieldError(_path(err["loc"], tag), code, err["msg"]))
        if isinstance(raw, Mapping) and isinstance(raw.get("sourceId"), str):
            item.outcome.source_id = raw["sourceId"]
    return item


def _header(batch: Mapping[str, Any]) -> tuple[str, str, list[Any]]:
    from pydantic import TypeAdapter

    errors = []
    values = {}
    for name, shape in (("sourceSystem", SystemName), ("agency", Code)):
        try:
            values[name] = TypeAdapter(shape).validate_python(batch.get(name))
        except ValidationError:
            errors.append(f"{name} is required (a non-empty string{', without |' if shape is SystemName else ''})")
    records = batch.get("records")
    if not isinstance(records, list):
        errors.append("records must be a list")
    if errors:
        raise BadUserInput("; ".join(errors))
    if len(records) > MAX_BATCH_SIZE:  # type: ignore[arg-type]
        raise BadUserInput(
            f"a batch holds at most {MAX_BATCH_SIZE} records; this one has {len(records)}: split it",  # type: ignore[arg-type]
            limit=MAX_BATCH_SIZE,
        )
    return values["sourceSystem"], values["agency"], records  # type: ignore[return-value]


async def ingest(
    *,
    batch: Mapping[str, Any],
    keys: KeyRing,
    match_window: timedelta = DEFAULT_MATCH_WINDOW,
    now: datetime | None = None,
    may_join: Callable[[Mapping[str, Any]], bool] | None = None,
) -> IngestOutcome:
    """Ingest one batch from one agency's system; see docs/ingest.md for the format.

    `may_join(case)` says whether the sender may add records to an existing case it names by number
    or by reference (the access policy); a case it may not join is reported as not found.
    """
    source_system, agency_code, raw_records = _header(batch)
    agency = await agency_service.get_by_code(code=agency_code)
    if agency is None:
        raise BadUserInput(f"unknown agency {agency_code!r}; `hub agencies` lists the codes")
    now = now or datetime.now(timezone.utc)

    items = [_validate(i, raw) for i, raw in enumerate(raw_records)]
    for item in items:
        if item.data:
            item.key = (source_system, item.data.source_id)
            item.outcome.source_id = item.data.source_id

    await _check_references(items, agency_code)
    _check_determinations(items, agency)
    await _find_existing(items, agency_code)
    _check_referrals(items)
    await _complete_replayed(items)
    live = [i for i in items if i.data and i.outcome.status is not RecordStatus.UNCHANGED]
    await _resolve_parties(live, source_system=source_system, keys=keys)
    await _attach_cases(live, source_system=source_system, agency_code=agency_code, match_window=match_window,
                        now=now, may_join=may_join)
    await _check_handover_answers(live, agency_code=agency_code)

    created, replaced = [], []
    for item in live:
        if item.data is None:
            continue
        record = _build_record(item, source_system=source_system, agency=agency, now=now)
        (replaced if item.existing else created).append((item, record))
    duplicates = await record_service.write(
        created=[r for _, r in created], replaced=[r for _, r in replaced]
    )
    for item, record in created + replaced:
        if item.key in duplicates:
            item.outcome.status = RecordStatus.UNCHANGED  # a concurrent batch wrote it first
            continue
        item.outcome.status = RecordStatus.UPDATED if item.existing else RecordStatus.CREATED
        item.outcome.record_id = record.id
    phantoms = await _follow_records_lost(created + replaced, duplicates)
    written = [r for i, r in created + replaced if i.key not in duplicates]
    # Into the change log (docs/changes.md) before their cases: new, revised, moved, and stored by an attempt
    # of this batch that was cut short before it logged them (each is logged once, by its key).
    documents = [to_document(r) for r in written]  # their stored forms, for the log and the case files
    await change_log.log_records(documents, unchanged={
        record_key(*i.key): (i.stored_revision, i.outcome.case_id) for i in items
        if i.stored_revision is not None and i.outcome.status is RecordStatus.UNCHANGED})
    await case_service.apply_records(records=written, documents=documents)
    await case_service.discard_if_empty(case_ids=phantoms)
    named = [p for r in written for p in r.parties]
    settled = await person_merge.settle([p.person_id for p in named])  # a Person merged meanwhile
    # Look-alikes matching left apart, for the identity review queue.
    await person_review.queue_similar(parties=dict(zip(settled, (p.name for p in named))), keys=keys)
    # The events the new records cause (docs/webhooks.md); a revision causes none, even once its first
    # version's event has been pruned from the outbox.
    await outbox.publish(records=[r for i, r in created if i.key not in duplicates])
    return IngestOutcome(results=[i.outcome for i in items])


async def _follow_records_lost(pairs: list[tuple[_Item, Any]], duplicates: set[tuple[str, str]]) -> list[Any]:
    """Put this batch's records on the case a concurrent batch put a record of theirs on, when the two batches
    disagreed: a record both sent, that the other stored first on another case (it matched a case this batch
    did not see yet), takes along the records whose case this batch took from it (opened by it, referred to
    it, matched to it). Returns the cases this batch opened for such records, to discard if left empty."""
    lost = {item.key: item for item, _ in pairs if item.key in duplicates and item.case_from == item.key}
    if not lost:
        return []
    stored = await record_service.find_keys(source_keys=list(lost))
    moved = {key: stored[key] for key, item in lost.items()
             if key in stored and stored[key]["case_id"] != item.outcome.case_id}
    if not moved:
        return []
    phantoms = sorted({lost[key].outcome.case_id for key in moved})
    moves = []
    for item, record in pairs:
        target = moved.get(item.case_from) if item.case_from else None
        if target is None:
            continue
        item.outcome.case_id, item.outcome.case_no = target["case_id"], target["case_no"]
        if item.key not in duplicates:
            record.case_id, record.case_no = target["case_id"], target["case_no"]
            moves.append(record)
    await record_service.move(records=moves)
    return phantoms


async def _check_references(items: list[_Item], agency_code: str) -> None:
    """Agencies named in details and regions named by new cases must exist."""
    agency_refs = {
        item.data.details.to_agency  # type: ignore[attr-defined, union-attr]
        for item in items
        if item.data and getattr(getattr(item.data, "details", None), "to_agency", None)
    }
    known_agencies = await agency_service.get_many_by_code(codes=agency_refs)
    regions = await region_service.get_many_by_code(
        codes={i.data.case.region_code for i in items if i.data and i.data.case}
    )
    for item in items:
        if not item.data:
            continue
        target = getattr(item.data.details, "to_agency", None)  # type: ignore[attr-defined]
        if target and target not in known_agencies:
            item.reject("details.toAgency", "AGENCY_NOT_FOUND", f"no agency with code {target!r}")
        elif target and target == agency_code and item.data.kind == RecordKind.HANDOVER:  # type: ignore[attr-defined]
            item.reject("details.toAgency", "HANDOVER_TO_SELF", "a case is handed to another agency")
        elif item.data.kind == RecordKind.HANDOVER_RESPONSE and item.data.case:  # type: ignore[attr-defined]
            item.reject("case", "ANSWER_NEEDS_CASE", "an answer to a handover names its case by caseNo or caseRef")
        elif item.data.case and item.data.case.region_code not in regions:
            code = item.data.case.region_code
            item.reject("case.regionCode", "REGION_NOT_FOUND", f"no region with code {code!r}")
        else:
            item.region = regions.get(item.data.case.region_code) if item.data.case else None


def _check_determinations(items: list[_Item], agency: Any) -> None:
    """A determination (认定) settles a fact of an existing case, and only a coordination centre makes one."""
    for item in items:
        if not item.data or item.data.kind != RecordKind.DETERMINATION:  # type: ignore[attr-defined]
            continue
        if agency.kind != AgencyKind.COORDINATION_CENTRE:
            item.reject("kind", "DETERMINATION_BY_CENTRE_ONLY",
                        "only a coordination centre (大调解协调中心) settles what agencies' records disagree on")
        elif not (item.data.case_no or item.data.case_ref):
            item.reject("caseNo", "DETERMINATION_NEEDS_CASE", "a determination names its case by caseNo or caseRef")


async def _check_handover_answers(items: list[_Item], *, agency_code: str) -> None:
    """A HANDOVER_RESPONSE answers a handover of its own case, addressed to the sender, not yet answered."""
    answers = [i for i in items if i.data is not None and i.data.kind == RecordKind.HANDOVER_RESPONSE]  # type: ignore[attr-defined]
    if not answers:
        return
    files = await case_service.get_files(ids=sorted({i.outcome.case_id for i in answers if i.outcome.case_id}))
    states = {s.record["_id"]: s for f in files.values() for s in handover_states(f.records)}
    answered_here: set[str] = set()
    for item in answers:
        handover_id = item.data.details.handover_id  # type: ignore[union-attr]
        state = states.get(handover_id)
        if state is None or state.record["case_id"] != item.outcome.case_id:
            item.reject("details.handoverId", "HANDOVER_NOT_FOUND", f"no handover {handover_id!r} on this case")
        elif state.receiver != agency_code:
            item.reject("details.handoverId", "HANDOVER_NOT_ADDRESSED",
                        "only the agency a case was handed to accepts or returns it")
        elif item.data.occurred_at < state.record["occurred_at"]:  # type: ignore[union-attr]
            item.reject("occurredAt", "ANSWER_BEFORE_HANDOVER", "an answer comes after the handover it answers")
        elif handover_id in answered_here or (
                state.status is not HandoverStatus.PENDING and (state.answer or {}).get("_id") != record_key(*item.key)):
            item.reject("details.handoverId", "HANDOVER_ALREADY_ANSWERED",
                        f"the handover was already {state.status.value.lower()}")
        else:
            answered_here.add(handover_id)


def _check_referrals(items: list[_Item]) -> None:
    """A REFERRAL's state is consistent, and a new revision never takes it back (hub.ingest.referrals)."""
    for item in items:
        if (item.data is None or item.data.kind != RecordKind.REFERRAL  # type: ignore[attr-defined]
                or item.outcome.status is RecordStatus.UNCHANGED):  # a replay is never looked at again
            continue
        stored = item.existing or {}
        previous = referrals.stored_status(stored.get("details")) if stored.get("kind") == RecordKind.REFERRAL else None
        found = referrals.problems(item.data.details, occurred_at=item.data.occurred_at,  # type: ignore[attr-defined]
                                   previous=previous)
        for path, code, message in found:
            item.reject(path, code, message)


def _revision_refusal(item: _Item, stored: Mapping[str, Any], agency_code: str) -> tuple[str, str, str] | None:
    """Why a newer revision of a stored record may not replace it: another agency's record, another kind, an
    answer to a handover (final once given), or a handover passed to a different receiver."""
    assert item.data is not None
    if stored.get("agency_code") and stored["agency_code"] != agency_code:
        return "sourceId", "RECORD_NOT_YOURS", "a record is revised by the agency that wrote it"
    if stored.get("kind") and stored["kind"] != item.data.kind:  # type: ignore[attr-defined]
        return "kind", "KIND_CHANGED", f"the stored record is a {stored['kind']}; a revision keeps its kind"
    if stored.get("kind") == RecordKind.HANDOVER_RESPONSE:
        return "details.handoverId", "HANDOVER_ALREADY_ANSWERED", "an answer to a handover is final"
    if stored.get("kind") == RecordKind.HANDOVER and (stored.get("details") or {}).get("toAgency") != getattr(
            item.data.details, "to_agency", None):  # type: ignore[attr-defined]
        return "details.toAgency", "HANDOVER_RECEIVER_CHANGED", "a handover keeps its receiver; hand the case on anew"
    return None


async def _find_existing(items: list[_Item], agency_code: str) -> None:
    """Mark records already stored (or earlier in this batch) as UNCHANGED or to-be-UPDATED."""
    existing = await record_service.find_keys(source_keys=[i.key for i in items if i.data])
    seen: dict[tuple[str, str], int] = {}
    for item in items:
        if not item.data:
            continue
        revision = item.data.source_revision
        if item.key in seen:
            if revision > seen[item.key]:
                item.reject("sourceId", "DUPLICATE_IN_BATCH", "this sourceId comes twice with different "
                            "revisions; send the newer revision in a later batch")
            else:
                item.outcome.status = RecordStatus.UNCHANGED
                item.data = None
            continue
        stored = existing.get(item.key)
        if stored is not None:
            item.outcome.case_id = stored["case_id"]
            item.outcome.case_no = stored["case_no"]
            item.outcome.record_id = stored["_id"]
            if revision <= stored.get("source_revision", 0):
                item.outcome.status = RecordStatus.UNCHANGED
                item.stored_revision = stored.get("source_revision", 0)
                continue
            refusal = _revision_refusal(item, stored, agency_code)
            if refusal is not None:
                item.reject(*refusal)
                continue
            item.existing = stored
        seen[item.key] = revision


async def _complete_replayed(items: list[_Item]) -> None:
    """A replay completes the batch a dying process left half-written: its stored records get into their cases
    (docs/reliability.md, "Faults")."""
    replayed: dict[PydanticObjectId, list[str]] = {}
    for item in items:
        if item.data and item.outcome.status is RecordStatus.UNCHANGED and item.outcome.case_id is not None:
            replayed.setdefault(item.outcome.case_id, []).append(record_key(*item.key))
    await case_service.complete(record_ids=replayed)


async def _resolve_parties(items: list[_Item], *, source_system: str, keys: KeyRing) -> None:
    """Resolve every party of every record to a Person id (one round trip or two)."""
    identities, seen_at, owners = [], [], []
    for item in items:
        assert item.data is not None
        for n, party in enumerate(item.data.parties):
            identities.append(person_service.identify(
                keys=keys, name=party.name, kind=party.kind, id_number=party.id_number,
                credit_code=party.credit_code, phone=party.phone, address=party.address,
                fallback_key=f"{source_system}:{item.data.source_id}:{n}",
            ))
            seen_at.append(item.data.occurred_at)
            owners.append(item)
    ids = await person_service.resolve(parties=identities, seen_at=seen_at)
    for item, person_id in zip(owners, ids):
        item.person_ids.append(person_id)


async def _attach_cases(
    items: list[_Item], *, source_system: str, agency_code: str, match_window: timedelta, now: datetime,
    may_join: Callable[[Mapping[str, Any]], bool] | None = None,
) -> None:
    """Give every record its case: stored, by number, by reference, by matching, or new."""
    by_no = await case_service.find_numbers(case_nos={i.data.case_no for i in items if i.data and i.data.case_no})
    refs = {
        (r.source_system or source_system, r.source_id)
        for i in items if i.data and (r := i.data.case_ref)
    }
    ref_cases = await record_service.find_keys(source_keys=refs)
    in_batch: dict[tuple[str, str], _Item] = {}
    openers = [i for i in items if i.data and i.data.case and not i.existing and not i.data.case_no and not i.data.case_ref]
    opened = await case_service.find_opened(origins=[_origin(i) for i in openers])
    await case_service.ensure_numbers(cases=list(opened.values()))  # a replay: numbered, if a crash came first
    earliest = min((i.data.occurred_at for i in openers if i.data), default=now) - match_window
    candidates = await case_service.find_open_with_parties(
        person_ids=[p for i in openers for p in i.person_ids], since=earliest
    ) if openers else []
    new_cases: dict[str, Case] = {}
    named = [d["_id"] for d in by_no.values()] + [t["case_id"] for t in ref_cases.values()]
    joinable = {d["_id"] for d in await case_service.access_fields(case_ids=named)
                if may_join is None or may_join(d)}

    for item in items:
        data = item.data
        if data is None:
            continue
        if item.existing:
            pass  # an update stays on its case
        elif data.case_no:
            found = by_no.get(data.case_no)
            if found is None or found["_id"] not in joinable:
                item.reject("caseNo", "CASE_NOT_FOUND", f"no case numbered {data.case_no!r}")
                continue
            item.outcome.case_id, item.outcome.case_no = found["_id"], found["case_no"]
        elif data.case_ref:
            ref_key = (data.case_ref.source_system or source_system, data.case_ref.source_id)
            stored_ref = ref_cases.get(ref_key)
            target = stored_ref if stored_ref and stored_ref["case_id"] in joinable else None
            if target is None and not stored_ref and (source := in_batch.get(ref_key)) is not None:
                target = _outcome_case(source)
                item.case_from = source.case_from
            if target is None:
                item.reject("caseRef", "CASE_REF_NOT_FOUND", f"no record {ref_key[1]!r} from {ref_key[0]!r} is known yet")
                continue
            item.outcome.case_id, item.outcome.case_no = target["case_id"], target["case_no"]
        else:
            origin = _origin(item)
            match = opened.get(origin)
            if match is not None:  # a replay: later records match it, even if its parties were never linked
                candidates.append(_candidate(item, case_id=match["_id"], case_no=match["case_no"]))
                item.case_from = item.key
            match = match or _match_open_case(item, candidates, match_window)
            if match is not None:
                item.outcome.case_id, item.outcome.case_no = match["_id"], match["case_no"]
                item.case_from = match.get("from")
            else:
                new_cases[origin] = _new_case(item, origin, agency_code)
                candidates.append(_candidate(item, case_id=None, case_no=new_cases[origin].case_no))
                item.outcome.case_no = new_cases[origin].case_no  # placeholder until numbered
                item.case_from = item.key
        in_batch[item.key] = item

    await _open_cases(new_cases, items)


def _origin(item: _Item) -> str:
    """The origin key of the case a record would open: its source key."""
    return f"{item.key[0]}:{item.key[1]}"


def _outcome_case(item: _Item | None) -> dict[str, Any] | None:
    if item is None or item.data is None:
        return None
    return {"case_id": item.outcome.case_id, "case_no": item.outcome.case_no}


def _match_open_case(item: _Item, candidates: list[dict[str, Any]], window: timedelta) -> dict[str, Any] | None:
    """An open case with the same parties and category in the same township, opened within window."""
    assert item.data is not None and item.data.case is not None
    parties = set(item.person_ids)
    if not parties:
        return None
    township = region_service.township_of(item.region) if item.region else None
    for case in candidates:
        if (
            case["category"] == item.data.case.category.value
            and case.get("township_code") == township
            and set(case["party_ids"]) == parties
            and abs(item.data.occurred_at - case["opened_at"]) <= window
        ):
            return case
    return None


def _new_case(item: _Item, origin: str, agency_code: str) -> Case:
    """The case `item` opens, as it stands with only that record: the fields the access policy reads are set
    from the start, so that a concurrent batch naming the case by reference may join it before this batch
    has derived the rest."""
    assert item.data is not None and item.data.case is not None and item.region is not None
    spec = item.data.case
    return Case(
        id=case_service.case_id_for(origin),
        case_no=f"pending:{origin}",
        title=spec.title,
        category=spec.category,
        region_code=item.region.code,
        region_path=item.region.path,
        township_code=region_service.township_of(item.region),
        origin_source_key=origin,
        opened_at=item.data.occurred_at,
        declared_tags=spec.tags,
        declared_risk_level=spec.risk_level,
        responsible_person=spec.responsible_person,
        deadline=spec.deadline,
        status="SCREENED",
        lead_agency_code=agency_code,
        agencies=[agency_code],
    )


def _candidate(item: _Item, *, case_id: PydanticObjectId | None, case_no: str) -> dict[str, Any]:
    """The case `item` opens (or opened, before a crash), as a match candidate for the batch's later records."""
    assert item.data is not None and item.data.case is not None
    return {
        "_id": case_id, "case_no": case_no, "category": item.data.case.category.value,
        "township_code": region_service.township_of(item.region) if item.region else None,
        "opened_at": item.data.occurred_at, "party_ids": list(item.person_ids), "from": item.key,
    }


async def _open_cases(new_cases: dict[str, Case], items: list[_Item]) -> None:
    """Number and insert the cases this batch opens, then point every record at its case."""
    ids: dict[str, PydanticObjectId] = {}
    numbers: dict[str, str] = {}
    if new_cases:
        by_year: dict[int, list[Case]] = {}
        for case in new_cases.values():
            by_year.setdefault(case.opened_at.astimezone(timezone.utc).year, []).append(case)
        for year, cases in by_year.items():
            for case, number in zip(cases, await case_service.allocate_numbers(year=year, count=len(cases))):
                case.case_no = number
        opened = await case_service.insert_many(cases=list(new_cases.values()))
        ids = {origin: c["_id"] for origin, c in opened.items()}
        numbers = {origin: c["case_no"] for origin, c in opened.items()}
    pending = {f"pending:{origin}": origin for origin in new_cases}
    for item in items:
        origin = pending.get(item.outcome.case_no or "")
        if origin is not None and item.data is not None:
            item.outcome.case_id, item.outcome.case_no = ids[origin], numbers[origin]


def _build_record(item: _Item, *, source_system: str, agency: Any, now: datetime) -> Any:
    """The stored record for a validated item."""
    data = item.data
    assert data is not None and item.outcome.case_id is not None
    cls = RECORD_CLASSES[data.kind]  # type: ignore[attr-defined]
    return cls(
        id=record_key(source_system, data.source_id),
        kind=data.kind,  # type: ignore[attr-defined]
        case_id=item.outcome.case_id,
        case_no=item.outcome.case_no,
        source_system=source_system,
        source_id=data.source_id,
        source_revision=data.source_revision,
        agency_code=agency.code,
        channel=data.channel or agency.default_channel,
        occurred_at=data.occurred_at,
        recorded_at=now,
        summary=data.summary,
        parties=[
            RecordParty(person_id=pid, role=p.role, name=p.name)
            for p, pid in zip(data.parties, item.person_ids)
        ],
        visibility=data.visibility,
        refs=[SourceRef(source_system=r.source_system or source_system, source_id=r.source_id) for r in data.refs],
        region_code=item.region.code if item.region else None,
        stated=_statement(data.case),
        details=data.details,  # type: ignore[attr-defined]
    )


def _statement(case: Any) -> CaseStatement | None:
    """What the record's `case` part says of its case (docs/provenance.md)."""
    if case is None:
        return None
    return CaseStatement(category=case.category.value, risk_level=case.risk_level, tags=[t.value for t in case.tags],
                         responsible_person=case.responsible_person, deadline=case.deadline,
                         amount_in_dispute=case.amount_in_dispute)
