"""The watch: early warnings newly raised and deadlines drawing near, written into the outbox.

Neither has one write that causes it (a warning is raised by time passing as much as by a record), so one
hub process at a time looks for them every `watch_poll_seconds` (docs/webhooks.md, "The watch"):

- **the lease**: a round first claims the `watch` document of `watch_leases` with one `find_one_and_update`
  on `lease_until <= now`; a process that does not get it does nothing that round. The holder keeps it
  while it scans (at most LEASE, should it die) and then until `watch_poll_seconds` after it started, so
  a deployment of several processes scans about once per interval;
- **warnings** (WARNING_RAISED): `early_warnings`' rules run over each top-level region; the warnings
  raised now are kept in `raised_warnings`, one document per (rule, case number, person). One raised now
  and not stored is told; one stored and no longer raised is removed, so if it comes back it is told
  again, under a new key. The first round over a region (its **baseline**: a new deployment, or a region
  added later) stores what it finds without telling it, or every agency would receive its whole backlog;
- **deadlines** (DEADLINE_NEAR): a pending handover's answer deadline (for the receiver), an open meeting
  decision's due date (for its owner) and an open campaign enrolment's responsibility deadline (for its
  unit) that lie within `deadline_near_days` and have not passed. The key names the deadline, so each is
  told once, and again when it moves.

Who a warning concerns is who may read it through `earlyWarnings` — the coordination centres whose region
is on the case's region path — and the agency the warning says must act. No event names a person: reasons
that do (a petitioner's, a responsible official's name) are left out, and a person's warning is keyed by
an opaque reference, never the person's id.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from hub.agencies import service as agency_service
from hub.agencies.models import AgencyKind
from hub.analytics.summary import as_utc
from hub.analytics.thresholds import Thresholds
from hub.analytics.warnings import RULE_LABELS, RULES, SEVERITY_ORDER, EarlyWarning, Rule, Scope, load_scope
from hub.auth import rates
from hub.auth.policy import RESTRICTED_READERS
from hub.campaigns.models import Enrolment
from hub.cases.derive import as_date, district_day
from hub.cases.models import OPEN_STATUSES, Case
from hub.config import Settings
from hub.ids import global_id
from hub.meetings.models import DecisionStatus, JointMeeting
from hub.notifications import outbox
from hub.notifications.models import EventKind, OutboxEvent, RaisedWarning, WatchLease
from hub.regions.models import Region
from hub.store.service import READ_BATCH_SIZE, find_by_ids, insert_new, store_now

log = logging.getLogger("hub.watch")

LEASE_ID = "watch"
LEASE = timedelta(minutes=5)  # the longest a round may hold the lease should its process die mid-round
# Who reads warnings through `earlyWarnings` (CanAnalyseRegion): the coordination centres above the case.
WARNING_READERS = frozenset({AgencyKind.COORDINATION_CENTRE})
# Rules whose reason names a person (a petitioner; a campaign case's responsible official): sent without it.
REASON_NAMES_A_PERSON = frozenset({Rule.REPEAT_PETITIONS, Rule.CAMPAIGN_OVERDUE})
# Rules read from petitions, some of which may be RESTRICTED (stability intelligence).
PETITION_RULES = (Rule.REPEAT_PETITIONS, Rule.ESCALATED_PETITION)
_OPEN = frozenset(s.value for s in OPEN_STATUSES)


class DeadlineWhat(StrEnum):
    """What falls due."""

    HANDOVER_ACCEPT = "HANDOVER_ACCEPT"  # a handover's receiver is to accept or return it
    MEETING_DECISION = "MEETING_DECISION"  # a joint meeting's decision is to be carried out
    CAMPAIGN_TASK = "CAMPAIGN_TASK"  # a campaign's enrolled case is to be cleared by its unit


@dataclass
class ScanResult:
    """What one round did."""

    scanned: bool = False  # False: another process held the lease; nothing was done
    regions: int = 0  # top-level regions scanned
    baselined: int = 0  # of which scanned for the first time: their warnings recorded, not told
    warnings: int = 0  # warnings raised now (distinct rule, case and person)
    raised: int = 0  # of which new since the last round
    cleared: int = 0  # stored warnings no longer raised, removed
    deadlines: int = 0  # deadlines near found
    events: int = 0  # new events written to the outbox
    deferred: int = 0  # warnings to tell left for the next rounds (over HUB_WATCH_MAX_WARNINGS this round)
    pruned: tuple[int, int] = (0, 0)  # outbox events and webhook deliveries deleted past their retention
    seconds: float = 0.0


# --- the lease ----------------------------------------------------------------------------------


async def claim(*, holder: str, now: datetime) -> dict[str, Any] | None:
    """The lease document, claimed for this round until `now + LEASE`; None when another process holds it."""
    try:
        return await WatchLease.get_pymongo_collection().find_one_and_update(
            {"_id": LEASE_ID, "lease_until": {"$lte": now}}, {"$set": {"lease_until": now + LEASE, "holder": holder}},
            upsert=True, return_document=ReturnDocument.AFTER)
    except DuplicateKeyError:  # the document exists and its lease has not run out
        return None


async def release(*, holder: str, until: datetime, scanned_at: datetime) -> None:
    """Keep the lease until `until` (the next round's time), if this round still holds it."""
    await WatchLease.get_pymongo_collection().update_one(
        {"_id": LEASE_ID, "holder": holder}, {"$set": {"lease_until": until, "last_scan_at": scanned_at}})


async def still_held(*, holder: str) -> bool:
    """This round still holds the lease (it did not outlive it while scanning)."""
    return await WatchLease.get_pymongo_collection().find_one(
        {"_id": LEASE_ID, "holder": holder, "lease_until": {"$gt": store_now()}}, {"_id": 1}) is not None


async def mark_baselined(region: str) -> None:
    """The region's warnings are recorded: from now on a new one is told."""
    await WatchLease.get_pymongo_collection().update_one({"_id": LEASE_ID}, {"$addToSet": {"baselined": region}})


# --- warnings -----------------------------------------------------------------------------------


@dataclass
class Current:
    """A warning raised now: the most severe of its (rule, case, person), the agencies that must act, and
    whether it holds without restricted petitions (if not, only restricted readers among those are told)."""

    warning: EarlyWarning
    acting: set[str] = field(default_factory=set)
    public: bool = True


def warning_id(warning: EarlyWarning) -> str:
    """`<rule>:<case_no>[:<person id>]`: a warning's identity across rounds (stored, never sent)."""
    tail = f":{warning.person_id}" if warning.person_id else ""
    return f"{warning.rule}:{warning.case_no}{tail}"


def _raise(scope: Scope, rules: Iterable[Rule]) -> list[EarlyWarning]:
    found = [w for rule in rules for w in RULES[rule](scope)]
    order = list(RULES)
    return sorted(found, key=lambda w: (SEVERITY_ORDER[w.severity], order.index(w.rule), w.case_no))


def current_warnings(scope: Scope) -> dict[str, Current]:
    """The warnings the rules raise over the scope, by identity (as `early_warnings` finds them)."""
    public_scope = replace(scope, petitions=[(c, r) for c, r in scope.petitions
                                             if r.get("visibility") != "RESTRICTED"])
    public = {warning_id(w) for w in _raise(public_scope, PETITION_RULES)}
    current: dict[str, Current] = {}
    for warning in _raise(scope, RULES):
        key = warning_id(warning)
        entry = current.setdefault(key, Current(warning, public=warning.rule not in PETITION_RULES or key in public))
        if warning.agency_code:
            entry.acting.add(warning.agency_code)
    return current


def warning_key(warning: EarlyWarning, *, ref: str | None, raised_at: datetime) -> str:
    """`warning:<rule>:<case_no>[:<ref>]:<raised-at epoch seconds>`: a warning told again after it cleared
    gets a new key. `ref` stands for the person (an opaque random reference, not the person's id)."""
    tail = f":{ref}" if ref else ""
    return f"warning:{warning.rule}:{warning.case_no}{tail}:{int(raised_at.timestamp())}"


def warning_payload(warning: EarlyWarning) -> dict[str, Any]:
    """The event's `warning` part; no reason where the reason names a person."""
    reason = None if warning.rule in REASON_NAMES_A_PERSON else warning.reason
    return {"warning": {"rule": str(warning.rule), "ruleLabel": RULE_LABELS[warning.rule],
                        "severity": str(warning.severity), "reason": reason, "agency": warning.agency_code}}


@dataclass
class Audience:
    """Who may be told of what: the coordination centres by region, every agency's kind (read when needed)."""

    centres: dict[str, list[str]]
    _kinds: dict[str, str] | None = None

    @classmethod
    async def load(cls) -> Audience:
        centres: dict[str, list[str]] = {}
        for kind in WARNING_READERS:
            for agency in await agency_service.list_all(kind=kind):
                centres.setdefault(agency.region_code, []).append(agency.code)
        return cls(centres)

    async def kinds(self) -> dict[str, str]:
        if self._kinds is None:
            self._kinds = await agency_service.kinds()
        return self._kinds

    async def for_warning(self, entry: Current, region_path: Sequence[str]) -> list[str]:
        """The centres over the case, and the acting agencies (of a warning from restricted petitions only:
        those that may read restricted records)."""
        told = {code for region in region_path for code in self.centres.get(region, [])}
        acting = entry.acting
        if not entry.public and acting:
            kinds = await self.kinds()
            acting = {a for a in acting if kinds.get(a) in RESTRICTED_READERS}
        return sorted(told | acting)


async def watch_warnings(scope: Scope, *, region: str, baselined: bool, audience: Audience,
                         result: ScanResult, limit: int) -> tuple[list[OutboxEvent], list[str]]:
    """The region's warnings compared with those stored: the new ones stored, the cleared ones removed.

    Returns the events to append (at most `limit`, the most severe first; the others stay untold and are
    told by the next rounds) and the stored ids to mark told once they are in. Before the region's
    baseline, nothing is told.
    """
    collection = RaisedWarning.get_pymongo_collection()
    current = await asyncio.to_thread(current_warnings, scope)  # CPU-bound: the process serves requests meanwhile
    stored = {d["_id"]: d for d in await collection.find({"region": region}, batch_size=READ_BATCH_SIZE).to_list()}
    gone = [key for key in stored if key not in current]
    if gone:
        await collection.delete_many({"_id": {"$in": gone}})
    result.warnings += len(current)
    result.cleared += len(gone)
    fresh = {key: entry for key, entry in current.items() if key not in stored}
    result.raised += len(fresh)
    raised_at = scope.as_of
    documents = []
    for key, entry in fresh.items():
        w = entry.warning
        ref = secrets.token_hex(6) if w.person_id else None
        documents.append(RaisedWarning(
            id=key, region=region, rule=str(w.rule), case_no=w.case_no, person_id=w.person_id, ref=ref,
            raised_at=raised_at, told=not baselined,
            event_key=warning_key(w, ref=ref, raised_at=raised_at) if baselined else None,
        ).model_dump(by_alias=True, exclude={"revision_id"}))
    # Another round (a lease that ran out) may have stored some first: theirs stand, and it tells them.
    inserted = {documents[n]["_id"] for n in await insert_new(collection, documents)}
    if not baselined:
        return [], []
    to_tell = [(d["_id"], d["event_key"]) for d in documents if d["_id"] in inserted]
    to_tell += [(key, d["event_key"]) for key, d in stored.items()  # stored by a round that died before telling
                if key in current and not d.get("told") and d.get("event_key")]
    if len(to_tell) > limit:  # a flood (a backlog loaded at once): the most severe now, the rest next rounds
        result.deferred += len(to_tell) - limit
        to_tell = to_tell[:limit]
    if not to_tell:
        return [], []
    cases = {c["_id"]: c for c in await find_by_ids(Case.get_pymongo_collection(),
                                                    {current[k].warning.case_id for k, _ in to_tell},
                                                    {"region_path": 1})}
    events = []
    now = store_now()
    for key, event_key in to_tell:
        entry = current[key]
        region_path = list((cases.get(entry.warning.case_id) or {}).get("region_path") or [])
        agencies = await audience.for_warning(entry, region_path)
        if agencies:
            events.append(OutboxEvent(
                id=event_key, seq=0, kind=EventKind.WARNING_RAISED, case_id=entry.warning.case_id,
                case_no=entry.warning.case_no, region_path=region_path, agencies=agencies,
                payload=warning_payload(entry.warning), at=now))
    return events, [key for key, _ in to_tell]


# --- deadlines ----------------------------------------------------------------------------------


def deadline_event(what: DeadlineWhat, *, ref: str, due: date | datetime, public_id: str, summary: str,
                   agencies: Sequence[str], case_id: ObjectId | None, case_no: str | None,
                   region_path: Sequence[str]) -> OutboxEvent:
    """DEADLINE_NEAR, keyed `deadline:<what>:<ref>:<the deadline's district day>`: told once per deadline."""
    day = district_day(due) if isinstance(due, datetime) else due
    return OutboxEvent(
        id=f"deadline:{what}:{ref}:{day.isoformat()}", seq=0, kind=EventKind.DEADLINE_NEAR, case_id=case_id,
        case_no=case_no, region_path=list(region_path), agencies=sorted(set(agencies)),
        payload={"deadline": {"what": str(what), "due": due.isoformat(), "id": public_id, "summary": summary}},
        at=store_now())


async def handover_deadlines(scope: Scope, *, until: datetime, audience: Audience) -> list[OutboxEvent]:
    """Pending handovers of open cases whose answer deadline (`acceptBy`, else `handover_answer_days` after
    the handover: what HANDOVER_UNANSWERED checks) lies in (now, until]; for the receiver."""
    near = []
    for case, state in scope.handovers:
        deadline = as_utc(state.deadline(scope.thresholds.handover_answer_days))
        if case["status"] in _OPEN and deadline is not None and scope.as_of < deadline <= until and state.receiver:
            if state.record.get("visibility") == "RESTRICTED" and \
                    (await audience.kinds()).get(state.receiver) not in RESTRICTED_READERS:
                continue
            near.append((case, state, deadline))
    if not near:
        return []
    paths = {c["_id"]: c.get("region_path") or [] for c in await find_by_ids(
        Case.get_pymongo_collection(), {case["_id"] for case, _, _ in near}, {"region_path": 1})}
    return [deadline_event(DeadlineWhat.HANDOVER_ACCEPT, ref=str(state.record["_id"]), due=deadline,
                           public_id=str(state.record["_id"]), summary=str(state.record.get("summary") or ""),
                           agencies=[state.receiver], case_id=case["_id"], case_no=case["case_no"],
                           region_path=paths.get(case["_id"], []))
            for case, state, deadline in near]


def _midnight(day: date) -> datetime:
    """A date as the store holds it (midnight UTC)."""
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


async def decision_deadlines(*, first: date, last: date) -> list[OutboxEvent]:
    """Open meeting decisions due on a day in [first, last]; for the decision's owner."""
    bounds = {"$gte": _midnight(first), "$lte": _midnight(last)}
    meetings = await JointMeeting.find(
        {"decisions": {"$elemMatch": {"status": DecisionStatus.OPEN.value, "due_date": bounds}}}).to_list()
    due = [(m, d) for m in meetings for d in m.decisions
           if d.status is DecisionStatus.OPEN and first <= d.due_date <= last]
    case_nos = {c["_id"]: c.get("case_no") for c in await find_by_ids(
        Case.get_pymongo_collection(), {d.case_id for _, d in due if d.case_id is not None}, {"case_no": 1})}
    return [deadline_event(DeadlineWhat.MEETING_DECISION, ref=f"{m.id}:{d.key}", due=d.due_date,
                           public_id=f"{global_id('JointMeeting', m.id)}:{d.key}", summary=d.text,
                           agencies=[d.owner_agency_code], case_id=d.case_id,
                           case_no=case_nos.get(d.case_id) if d.case_id else None, region_path=m.region_path)
            for m, d in due]


async def campaign_deadlines(*, first: date, last: date) -> list[OutboxEvent]:
    """Enrolments not cleared whose responsibility's deadline is a day in [first, last]; for the unit."""
    fields = {"case_id": 1, "case_no": 1, "region_path": 1, "unit_code": 1, "deadline": 1}
    found = await Enrolment.get_pymongo_collection().find(
        {"cleared": False, "deadline": {"$gte": _midnight(first), "$lte": _midnight(last)}}, fields,
        batch_size=READ_BATCH_SIZE).to_list()
    events = []
    for doc in found:
        deadline = as_date(doc.get("deadline"))
        if deadline is None or not doc.get("unit_code"):
            continue
        events.append(deadline_event(
            DeadlineWhat.CAMPAIGN_TASK, ref=str(doc["_id"]), due=deadline,
            public_id=global_id("CampaignEnrolment", doc["_id"]),
            summary=f"攻坚清仓案件{doc['case_no']}应于{deadline.isoformat()}前化解", agencies=[doc["unit_code"]],
            case_id=doc["case_id"], case_no=doc["case_no"], region_path=doc.get("region_path") or []))
    return events


# --- one round, and the loop --------------------------------------------------------------------


async def top_regions() -> list[str]:
    """The regions with no parent (each one's scope covers everything below it)."""
    docs = await Region.get_pymongo_collection().find({"parent_code": None}, {"code": 1}).to_list()
    return sorted(d["code"] for d in docs)


async def scan(*, settings: Settings, now: datetime | None = None) -> ScanResult:
    """One round of the watch, if this process gets the lease: warnings and deadlines into the outbox.

    `now` is the instant the rules and deadlines look from (this process's clock, `store_now`, by
    default); the lease always runs on that clock, so hub hosts keep their clocks in step (NTP).
    """
    started = store_now()
    result = ScanResult()
    holder = secrets.token_hex(8)
    lease = await claim(holder=holder, now=started)
    if lease is None:
        return result
    result.scanned = True
    as_of = as_utc(now) or started
    thresholds: Thresholds = settings.warnings
    until = as_of + timedelta(days=settings.deadline_near_days)
    try:
        audience = await Audience.load()
        baselined = set(lease.get("baselined") or [])
        events: list[OutboxEvent] = []
        told: list[str] = []
        fresh_regions: list[str] = []
        for region in await top_regions():
            scope = await load_scope(region=region, as_of=as_of, thresholds=thresholds)
            found, keys = await watch_warnings(scope, region=region, baselined=region in baselined,
                                               audience=audience, result=result,
                                               limit=max(settings.watch_max_warnings - len(told), 0))
            events += found
            told += keys
            if region not in baselined:
                fresh_regions.append(region)
                await mark_baselined(region)  # at once: a later crash must not baseline (and hush) it again
            events += await handover_deadlines(scope, until=until, audience=audience)
            result.regions += 1
        first, last = district_day(as_of), district_day(until)
        events += await decision_deadlines(first=first, last=last)
        events += await campaign_deadlines(first=first, last=last)
        result.deadlines = sum(1 for e in events if e.kind == EventKind.DEADLINE_NEAR)
        result.baselined = len(fresh_regions)
        if not await still_held(holder=holder):
            log.warning("watch round outlived its lease; its events are left to the next round")
            return result
        result.events = await outbox.append(events)
        if told:
            await RaisedWarning.get_pymongo_collection().update_many({"_id": {"$in": told}},
                                                                     {"$set": {"told": True}})
        result.pruned = await outbox.prune(before=started - timedelta(days=settings.outbox_retention_days))
        await rates.prune(now=started)  # the rate limits' windows past their expiry (MongoDB's TTL does too)
    finally:
        finished = store_now()
        result.seconds = (finished - started).total_seconds()
        await release(holder=holder, until=started + timedelta(seconds=max(settings.watch_poll_seconds, 0.0)),
                      scanned_at=finished)
    return result


async def run_forever(*, settings: Settings) -> None:
    """The watch of one hub process: a round every `watch_poll_seconds` (0: none at all); a round that
    fails is logged by its error's type (no personal data) and the next one comes as usual."""
    if settings.watch_poll_seconds <= 0:
        return
    while True:
        try:
            found = await scan(settings=settings)
            if found.scanned:
                log.debug("watch round: %d events in %.2f s", found.events, found.seconds)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # never let the watch die
            log.warning("watch round failed: %s", type(exc).__name__)
        await asyncio.sleep(settings.watch_poll_seconds)
