"""Schema-generated GraphQL documents, and the access oracle that judges their answers from the store.

`documents(known)` draws queries and mutations from the checked-in SDL (hypothesis-graphql), valid ones and
ones with one schema violation, with `ID` and `String` arguments drawn partly from the store's own ids, codes
and case numbers so that they reach real objects. `with_identity(document)` adds `__typename` and `id` to
every selection set that can take them, so that the oracle knows what each object in an answer is.

`Oracle` holds what the policy needs, read from the store (`Snapshot`), and `Oracle.judge` walks one answer
alongside its document: every case, record, person, typical case and enrolment in it must be one the caller
may see by hub.auth.policy, every `caseNo` one of a case it sees, no record RESTRICTED unless the caller's kind
reads them, and, without the `pii` role, no clear ID number, credit code, phone or address of the seeded people
anywhere in the data. The policy's own exceptions are followed, each named where it applies: the petition
bureau's look-up finds every case naming the person, and a meeting's participants see its agenda's cases.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import graphql
from bson import ObjectId
from graphql import (
    FieldNode, FragmentDefinitionNode, GraphQLSchema, InlineFragmentNode, NameNode,
    OperationDefinitionNode, SelectionSetNode, get_named_type, is_abstract_type, is_composite_type,
)
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema, mutations, nodes, queries
from pymongo.database import Database

from hub.agencies.models import AgencyKind
from hub.auth import policy
from hub.ids import global_id
from hub.keys.ring import KeyRing

SDL_PATH = Path(__file__).resolve().parents[2] / "schema" / "schema.graphql"
SCHEMA: GraphQLSchema = graphql.build_schema(SDL_PATH.read_text())


@dataclass(frozen=True)
class Caller:
    """One fuzzing identity: a label, the agency code and the token's roles."""

    label: str
    agency: str
    roles: tuple[str, ...] = ()


# A token of each agency kind of the seeded district (a township's coordination centre too: region scoping),
# and two with the `pii` role, so that the clear-data paths are fuzzed as well.
CALLERS = (
    Caller("COORDINATION_CENTRE (district)", "QH-CC"),
    Caller("COORDINATION_CENTRE (township)", "QH-CC-03"),
    Caller("PEOPLES_MEDIATION_COMMITTEE", "QH-PMC-03"),
    Caller("ADMINISTRATIVE_DEPARTMENT", "QH-RSJ"),
    Caller("COURT", "QH-FY"),
    Caller("JUSTICE_BUREAU", "QH-SFJ"),
    Caller("PETITION_BUREAU", "QH-XFJ"),
    Caller("STABILITY_OFFICE", "QH-WWB"),
    Caller("GOVERNANCE_CENTRE", "QH-ZZZX"),
    Caller("SOCIAL_MEDIATION_ORG", "QH-YTW"),
    Caller("PETITION_BUREAU + pii", "QH-XFJ", ("pii",)),
    Caller("COORDINATION_CENTRE (district) + pii", "QH-CC", ("pii",)),
)


# --- the store, as the oracle reads it -----------------------------------------------------------------


@dataclass
class Snapshot:
    """What the policy needs of the store, by id: cases, records, people, meetings, typical cases, enrolments."""

    cases: dict[str, dict[str, Any]]
    case_by_no: dict[str, dict[str, Any]]
    records: dict[str, dict[str, Any]]
    people: dict[str, dict[str, Any]]
    meetings: dict[str, dict[str, Any]]
    typical_cases: dict[str, dict[str, Any]]
    enrolments: dict[str, dict[str, Any]]

    @classmethod
    def read(cls, db: Database) -> Snapshot:
        """The current state (a few small reads: the fuzzed district is small)."""
        case_fields = {"case_no": 1, "region_path": 1, "agencies": 1, "lead_agency_code": 1, "handed_to": 1}
        cases = {str(c["_id"]): c for c in db.cases.find({}, case_fields)}
        return cls(
            cases=cases,
            case_by_no={c["case_no"]: c for c in cases.values()},
            records={str(r["_id"]): r for r in db.records.find({}, {"visibility": 1, "case_id": 1, "case_no": 1})},
            people={str(p["_id"]): p for p in db.people.find({}, {"case_ids": 1, "id_masked": 1, "id_encrypted": 1,
                                                                  "phone_masked": 1, "phone_encrypted": 1,
                                                                  "address_masked": 1, "address_encrypted": 1})},
            meetings={str(m["_id"]): m for m in db.joint_meetings.find({}, {"region_path": 1,
                                                                           "participant_agency_codes": 1})},
            typical_cases={str(t["_id"]): t for t in db.typical_cases.find({}, {"status": 1, "nominated_by": 1,
                                                                                 "region_path": 1})},
            enrolments={str(e["_id"]): e for e in db.campaign_enrolments.find({}, {"region_path": 1, "unit_code": 1,
                                                                                    "case_id": 1})},
        )


def principal_of(db: Database, caller: Caller) -> policy.Principal:
    """The principal a token of `caller` authenticates as, from the stored agency and region."""
    agency = db.agencies.find_one({"code": caller.agency})
    assert agency is not None, f"no agency {caller.agency} in the store"
    region = db.regions.find_one({"code": agency["region_code"]})
    path = tuple(region["path"]) if region else (agency["region_code"],)
    return policy.Principal(agency_code=caller.agency, agency_kind=AgencyKind(agency["kind"]), region_path=path,
                            user="fuzz", roles=frozenset(caller.roles))


def clear_values(db: Database, keys: KeyRing) -> dict[str, str]:
    """Every clear ID number, credit code, phone and address of the stored people, each with what it is."""
    out: dict[str, str] = {}
    for person in db.people.find({}):
        for name in ("id", "phone", "address"):
            token, masked = person.get(f"{name}_encrypted"), person.get(f"{name}_masked")
            if token:
                value = keys.decrypt(token)
                if value != masked and len(value) >= 6:
                    out[value] = name
    return out


@dataclass(frozen=True)
class Known:
    """Values of the store for the generator: ids and codes (`ID`, `String`), clear identifiers (look-ups only)."""

    ids: tuple[str, ...]
    strings: tuple[str, ...]
    identifiers: tuple[str, ...]

    @classmethod
    def read(cls, db: Database, clear: Mapping[str, str]) -> Known:
        """A sample of the store's ids, case numbers, agency and region codes, and the people's identifiers."""
        ids: list[str] = []
        for collection, type_name in (("cases", "Case"), ("records", "Record"), ("joint_meetings", "JointMeeting"),
                                      ("campaigns", "Campaign"), ("campaign_enrolments", "CampaignEnrolment"),
                                      ("people", "Person"), ("supervision_notices", "SupervisionNotice"),
                                      ("typical_cases", "TypicalCase"), ("mediators", "Mediator")):
            for doc in db[collection].find({}, {"_id": 1}).limit(12):
                ids += [global_id(type_name, doc["_id"]), str(doc["_id"])]
        regions = [r["code"] for r in db.regions.find({}, {"code": 1}).limit(20)]
        agencies = [a["code"] for a in db.agencies.find({}, {"code": 1})]
        ids += [global_id("Region", r) for r in regions] + [global_id("Agency", a) for a in agencies[:10]]
        case_nos = [c["case_no"] for c in db.cases.find({}, {"case_no": 1}).limit(30)]
        keys = [d["key"] for m in db.joint_meetings.find({}, {"decisions.key": 1}) for d in m.get("decisions", [])]
        strings = [*case_nos, *agencies, *regions, *keys, "2026-01", "2025-12", "https://example.org/hook"]
        return cls(ids=tuple(ids + regions + agencies + case_nos), strings=tuple(strings),
                   identifiers=tuple(v for v, kind in clear.items() if kind in {"id", "phone"}))


# --- the generator ----------------------------------------------------------------------------------


def _string_nodes(pool: tuple[str, ...]) -> st.SearchStrategy[graphql.ValueNode]:
    return st.one_of(st.sampled_from(pool), st.text(max_size=40)).map(nodes.String)


def documents(known: Known) -> st.SearchStrategy[str]:
    """Queries and mutations of the SDL (valid, and with one schema violation), ids and strings partly real."""
    dates = st.dates().map(lambda d: nodes.String(d.isoformat()))
    scalars = {
        "Date": st.one_of(dates, st.text(max_size=12).map(nodes.String)),
        "DateTime": st.one_of(st.datetimes(timezones=st.just(__import__("datetime").timezone.utc))
                              .map(lambda d: nodes.String(d.isoformat())), st.text(max_size=12).map(nodes.String)),
        "JSON": st.one_of(st.text(max_size=20).map(nodes.String), st.integers().map(nodes.Int)),
        "ID": st.one_of(st.sampled_from(known.ids).map(nodes.String), st.text(max_size=30).map(nodes.String),
                        st.integers().map(nodes.Int)),
        "String": _string_nodes(known.strings),
    }
    lookups = {**scalars, "String": _string_nodes(known.identifiers + known.strings[:5] + ("信访人反映诉求", "查询"))}
    return st.one_of(
        queries(SCHEMA, custom_scalars=scalars),
        mutations(SCHEMA, custom_scalars=scalars),
        from_schema(SCHEMA, custom_scalars=scalars, mode=Mode.NEGATIVE),
        queries(SCHEMA, fields=["personLookup"], custom_scalars=lookups),
    )


def with_identity(document: str) -> str:
    """The document with `__typename` and (where the type has one) `id` in every selection set."""
    try:
        ast = graphql.parse(document)
    except graphql.GraphQLError:
        return document

    def add(selection_set: SelectionSetNode | None, parent: Any) -> SelectionSetNode | None:
        if selection_set is None or parent is None or not is_composite_type(parent):
            return selection_set
        fields = getattr(parent, "fields", {})
        selections = []
        for s in selection_set.selections:
            if isinstance(s, FieldNode) and s.name.value in fields:
                s = replace(s, selection_set=add(s.selection_set, get_named_type(fields[s.name.value].type)))
            elif isinstance(s, InlineFragmentNode):
                s = replace(s, selection_set=add(s.selection_set, SCHEMA.get_type(s.type_condition.name.value)
                                                 if s.type_condition else parent))
            selections.append(s)
        present = {s.name.value for s in selections if isinstance(s, FieldNode) and s.alias is None}
        taken = {(s.alias or s.name).value for s in selections if isinstance(s, FieldNode)}
        if "__typename" not in present:
            selections.append(FieldNode(name=NameNode(value="__typename")))
        if "id" in fields and "id" not in present and "id" not in taken:
            selections.append(FieldNode(name=NameNode(value="id")))
        return replace(selection_set, selections=tuple(selections))

    definitions = []
    for definition in ast.definitions:
        if isinstance(definition, OperationDefinitionNode):
            definition = replace(definition, selection_set=add(definition.selection_set,
                                                               SCHEMA.get_root_type(definition.operation)))
        elif isinstance(definition, FragmentDefinitionNode):
            definition = replace(definition, selection_set=add(definition.selection_set,
                                                               SCHEMA.get_type(definition.type_condition.name.value)))
        definitions.append(definition)
    ast = replace(ast, definitions=tuple(definitions))
    return graphql.print_ast(ast)


def is_mutation(document: str) -> bool:
    return document.lstrip().startswith("mutation")


# --- the oracle ---------------------------------------------------------------------------------


def _raw(value: Any, expected: str) -> str | None:
    from hub.ids import parse_global_id
    from hub.errors import BadUserInput

    try:
        type_name, raw = parse_global_id(str(value))
    except BadUserInput:
        return None
    return raw if type_name == expected else None


_RECORD_TYPES = frozenset(t.name for t in SCHEMA.get_possible_types(SCHEMA.get_type("Record")))  # type: ignore[arg-type]
_CASE_NO_BEARERS = frozenset({"EarlyWarning", "EnrolResult", "IngestRecordResult", "WebhookDelivery"})


@dataclass
class Oracle:
    """Judges answers for one caller against the store (read again after every mutation that answered)."""

    db: Database
    principal: policy.Principal
    clear: Mapping[str, str]
    snapshot: Snapshot = field(init=False)

    def __post_init__(self) -> None:
        self.snapshot = Snapshot.read(self.db)

    def refresh(self) -> None:
        self.snapshot = Snapshot.read(self.db)

    # one case, by id or number: None when the store has no such case
    def _case_ok(self, case: Mapping[str, Any] | None) -> bool:
        return case is None or policy.can_view_case(self.principal, case)

    def _case_by_id(self, raw: str | None) -> Mapping[str, Any] | None:
        if raw is None:
            return None
        found = self.snapshot.cases.get(raw)
        if found is None and ObjectId.is_valid(raw):
            self.refresh()  # written by this very mutation
            found = self.snapshot.cases.get(raw)
        return found

    def judge(self, document: str, answer: Mapping[str, Any]) -> list[str]:
        """What in `answer` lies outside the caller's scope (empty: nothing)."""
        data = answer.get("data")
        if not data:
            return []
        problems: list[str] = []
        if "pii" not in self.principal.roles:
            text = json.dumps(data, ensure_ascii=False)
            for value, kind in self.clear.items():
                if value in text and value not in document:
                    problems.append(f"clear {kind} {value!r} in the answer to a caller without pii")
        ast = graphql.parse(document)
        fragments = {d.name.value: d for d in ast.definitions if isinstance(d, FragmentDefinitionNode)}
        operation = next(d for d in ast.definitions if isinstance(d, OperationDefinitionNode))
        root = SCHEMA.get_root_type(operation.operation)
        for key, node, value in self._fields(operation.selection_set, root, data, fragments):
            # The petition bureau's look-up finds every case and record naming the person (policy.py).
            granted = node.name.value == "personLookup" and policy.can_look_up_persons(self.principal)
            if node.name.value == "jointMeetingBrief":
                granted = self._brief_granted(node)
            definition = root.fields.get(node.name.value)  # type: ignore[union-attr]
            if definition is not None:
                self._walk(node.selection_set, get_named_type(definition.type), value, fragments, granted,
                           f"{key}", problems)
        return problems

    def _brief_granted(self, node: FieldNode) -> bool:
        """A meeting's brief, agenda cases included, is for its participants and its region's centres."""
        for argument in node.arguments or ():
            if argument.name.value == "meetingId" and isinstance(argument.value, graphql.StringValueNode):
                raw = _raw(argument.value.value, "JointMeeting") or argument.value.value
                meeting = self.snapshot.meetings.get(raw)
                return meeting is not None and policy.can_view_meeting(self.principal, _Obj(meeting))
        return False

    def _fields(self, selection_set: SelectionSetNode | None, runtime: Any, obj: Mapping[str, Any],
                fragments: Mapping[str, FragmentDefinitionNode]) -> Iterator[tuple[str, FieldNode, Any]]:
        """(response key, field node, value) of the fields selected on an object of type `runtime`."""
        if selection_set is None:
            return
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                key = (selection.alias or selection.name).value
                if key in obj:
                    yield key, selection, obj[key]
                continue
            if isinstance(selection, InlineFragmentNode):
                condition, inner = selection.type_condition, selection.selection_set
            else:
                fragment = fragments.get(selection.name.value)
                if fragment is None:
                    continue
                condition, inner = fragment.type_condition, fragment.selection_set
            if condition is None or _applies(condition.name.value, runtime):
                yield from self._fields(inner, runtime, obj, fragments)

    def _walk(self, selection_set: SelectionSetNode | None, static: Any, value: Any,
              fragments: Mapping[str, FragmentDefinitionNode], granted: bool, path: str,
              problems: list[str]) -> None:
        if value is None or selection_set is None:
            return
        if isinstance(value, list):
            for n, item in enumerate(value):
                self._walk(selection_set, static, item, fragments, granted, f"{path}[{n}]", problems)
            return
        if not isinstance(value, Mapping):
            return
        runtime = SCHEMA.get_type(value.get("__typename") or static.name) if is_abstract_type(static) else static
        if runtime is None:
            return
        granted = self._check(runtime.name, value, granted, path, problems)
        fields = runtime.fields
        for key, node, child in self._fields(selection_set, runtime, value, fragments):
            definition = fields.get(node.name.value)
            if definition is not None:
                self._walk(node.selection_set, get_named_type(definition.type), child, fragments, granted,
                           f"{path}.{key}", problems)

    def _check(self, type_name: str, obj: Mapping[str, Any], granted: bool, path: str, problems: list[str]) -> bool:
        """Check one object; returns whether its subtree is granted by an exception of the policy."""
        snap, who = self.snapshot, self.principal
        case_no = obj.get("caseNo")
        if type_name == "Case":
            case = self._case_by_id(_raw(obj.get("id"), "Case"))
            if not granted and not self._case_ok(case):
                problems.append(f"{path}: case {case and case['case_no']} outside the caller's scope")
        elif type_name in _RECORD_TYPES:
            raw = _raw(obj.get("id"), "Record")
            record = snap.records.get(raw or "")
            if record is None and raw is not None:
                self.refresh()
                record = self.snapshot.records.get(raw)
            if record is not None:
                if str(record.get("visibility")) == "RESTRICTED" and not policy.can_read_restricted(who):
                    problems.append(f"{path}: RESTRICTED record {raw} shown to {who.agency_kind}")
                if not granted and not self._case_ok(self._case_by_id(str(record["case_id"]))):
                    problems.append(f"{path}: record {raw} of case {record['case_no']} outside the caller's scope")
        elif type_name == "Person":
            person = snap.people.get(_raw(obj.get("id"), "Person") or "")
            if person is not None:
                cases = [self._case_by_id(str(c)) for c in person.get("case_ids", [])]
                if not granted and cases and not any(c is not None and self._case_ok(c) for c in cases):
                    problems.append(f"{path}: person {person['_id']} of no case the caller sees")
                if "pii" not in who.roles:
                    for name, stored in (("idNumber", "id"), ("phone", "phone"), ("address", "address")):
                        token, masked = person.get(f"{stored}_encrypted"), person.get(f"{stored}_masked")
                        shown = obj.get(name)
                        if shown is not None and token and shown != masked:
                            problems.append(f"{path}.{name}: not the masked value for a caller without pii")
        elif type_name == "TypicalCase":
            entry = snap.typical_cases.get(obj.get("id") or "") or snap.typical_cases.get(
                _raw(obj.get("id"), "TypicalCase") or "")
            if entry is not None and not policy.can_read_typical_case(who, _Obj(entry)):
                problems.append(f"{path}: typical case {obj.get('id')} the caller may not read")
        elif type_name == "CampaignEnrolment":
            raw = _raw(obj.get("id"), "CampaignEnrolment")
            enrolment = snap.enrolments.get(raw or "")
            if enrolment is None and raw is not None:
                self.refresh()
                enrolment = self.snapshot.enrolments.get(raw)
            if enrolment is not None and not policy.can_read_enrolment(
                    who, _Obj(enrolment), self._case_by_id(str(enrolment["case_id"]))):
                problems.append(f"{path}: enrolment {raw} the caller may not read")
        elif type_name == "JointMeeting":
            meeting = snap.meetings.get(_raw(obj.get("id"), "JointMeeting") or "")
            # A meeting's participants see the cases on its agenda (policy.py: they may read it and its brief).
            return granted or (meeting is not None and policy.can_view_meeting(who, _Obj(meeting)))
        elif type_name in _CASE_NO_BEARERS and isinstance(case_no, str):
            if not granted and not self._case_ok(snap.case_by_no.get(case_no)):
                problems.append(f"{path}.caseNo: {case_no} outside the caller's scope")
        return granted


class _Obj:
    """A stored document's fields as attributes, for the policy's functions."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        self._doc = doc

    def __getattr__(self, name: str) -> Any:
        return self._doc.get(name, [] if name.endswith(("_codes", "_path")) else None)


def _applies(condition: str, runtime: Any) -> bool:
    if condition == runtime.name:
        return True
    wanted = SCHEMA.get_type(condition)
    return wanted is not None and is_abstract_type(wanted) and SCHEMA.is_sub_type(wanted, runtime)  # type: ignore[arg-type]


# --- the tally -----------------------------------------------------------------------------------


@dataclass
class Tally:
    """What one caller's fuzzing saw: documents sent, answers with data, errors by code, and problems."""

    sent: int = 0
    mutations: int = 0
    with_data: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def note(self, document: str, status: int, answer: Any, leaks: Iterable[str]) -> None:
        """Count one exchange; keep what is wrong with it (a 5xx, an error without a code or internal, a leak)."""
        self.sent += 1
        self.mutations += is_mutation(document)
        self.statuses[status] += 1
        where = document if len(document) < 1500 else document[:1500] + " …"
        if status >= 500:
            self.problems.append(f"HTTP {status} for {where}")
        if not isinstance(answer, Mapping):
            self.problems.append(f"not a JSON object (HTTP {status}) for {where}")
            return
        if answer.get("data"):
            self.with_data += 1
        for error in answer.get("errors") or []:
            code = (error.get("extensions") or {}).get("code") if isinstance(error, Mapping) else None
            self.codes[str(code)] += 1
            if not code or code == "INTERNAL_SERVER_ERROR":
                self.problems.append(f"error {code or 'without a code'} {error.get('message')!r} at "
                                     f"{error.get('path')} for {where}")
        self.problems += [f"{leak} — for {where}" for leak in leaks]

