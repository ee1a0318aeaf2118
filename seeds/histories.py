"""One case's history as a small state machine: screening, intake, mediation, then agreement or
handover / escalation / referral, with petitions and stability control on the side."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate
from typing import Any

from hub.agencies.models import AgencyKind
from seeds import texts
from seeds.names import CATEGORY_TEXT, CATEGORY_WEIGHTS, DEPARTMENT_OF, PASSED_AROUND
from seeds.world import Person, Village, World, later, person_name

_CATEGORIES = list(CATEGORY_WEIGHTS)
_CUMULATIVE = list(accumulate(CATEGORY_WEIGHTS.values()))
_MASS_SHARE = {"LAND_ACQUISITION": 0.45, "LABOUR": 0.2, "ENVIRONMENT": 0.15}  # ≈5% of all cases
_COURT_FIRST = {"PRIVATE_LENDING", "CONTRACT", "MARRIAGE_FAMILY", "TRAFFIC_ACCIDENT", "INTELLECTUAL_PROPERTY"}
_SOCIAL_FIRST = {"MEDICAL": "QH-YTW", "CONTRACT": "QH-LSTJ", "PRIVATE_LENDING": "QH-LSTJ", "MARRIAGE_FAMILY": "QH-LSTJ"}
_PMC = AgencyKind.PEOPLES_MEDIATION_COMMITTEE.value


@dataclass(slots=True)
class Event:
    """A record before it has a source key: who, what, when, and what it refers to."""

    eid: int
    at: datetime
    agency: str
    kind: str
    summary: str
    details: dict[str, Any]
    visibility: str = "NORMAL"
    refs: tuple[int, ...] = ()
    petitioner: Person | None = None


_REFERRAL_OUTCOMES = {  # each target's outcomes, and how often
    "ARBITRATION": (("UPHELD", "PARTLY_UPHELD", "DISMISSED", "SETTLED", "WITHDRAWN"), (3, 4, 1, 3, 1)),
    "ADMINISTRATIVE_RULING": (("UPHELD", "PARTLY_UPHELD", "DISMISSED"), (2, 3, 3)),
    "ADMINISTRATIVE_RECONSIDERATION": (("UPHELD", "PARTLY_UPHELD", "DISMISSED", "WITHDRAWN"), (2, 2, 4, 1)),
    "LITIGATION": (("UPHELD", "PARTLY_UPHELD", "DISMISSED", "SETTLED", "WITHDRAWN"), (3, 3, 1, 4, 1)),
    "CRIMINAL_RECONCILIATION": (("SETTLED", "DISMISSED"), (4, 1)),
    "SETTLEMENT": (("SETTLED", "WITHDRAWN"), (5, 1)),
}


def _referral_state(fate: random.Random, target: str, at: datetime) -> dict[str, Any]:
    """Where a referral stands: REFERRED, FILED (受理/立案) or DECIDED with an outcome (`seeds.wire` keeps
    only what has happened by `now`). A settlement between the parties is decided without filing."""
    roll = fate.random()
    if roll < 0.3:
        return {}
    outcomes, weights = _REFERRAL_OUTCOMES[target]
    filed_at = None if target == "SETTLEMENT" else later(fate, at, 3, 30)
    state: dict[str, Any] = {"status": "FILED", "filedAt": filed_at} if filed_at else {}
    if roll >= 0.6 or filed_at is None:
        state.update(status="DECIDED", decidedAt=later(fate, filed_at or at, 15, 120),
                     outcome=fate.choices(outcomes, weights)[0])
    return state


class CaseBuilder:
    """Builds one case's events; `seeds.wire.records` turns them into wire-format records."""

    def __init__(self, world: World, rng: random.Random, now: datetime, index: int) -> None:
        """Draw the case's category, place, parties and the paths its history will take."""
        self.w, self.rng, self.now = world, rng, now
        self.events: list[Event] = []
        if index < len(_CATEGORIES):  # the first cases cover every category, whatever the scale
            self.category = _CATEGORIES[index]
        else:
            self.category = rng.choices(_CATEGORIES, cum_weights=_CUMULATIVE)[0]
        self.text = CATEGORY_TEXT[self.category]
        self.issue: str = rng.choice(list(self.text["issues"]))
        self.village: Village = rng.choice(world.villages)
        self.backlog = rng.random() < 0.06
        self.mass = not self.backlog and rng.random() < _MASS_SHARE.get(self.category, 0.0)
        self.stall = not (self.backlog or self.mass) and rng.random() < 0.07
        if self.mass and self.category == "LABOUR":
            self.issue = "拖欠工资"  # mass labour disputes are wage arrears
        self.risk_level = ("MAJOR" if rng.random() < 0.3 else "HIGH") if self.mass else None
        self.department = DEPARTMENT_OF.get(self.category)
        if self.category == "MEDICAL" and rng.random() < 0.4:
            self.department = "QH-YTW"
        self.chain = self.category in PASSED_AROUND and not self.stall and rng.random() < 0.05
        self.tags = self._tags()
        parties = world.parties(self.category, self.issue, self.village, self.mass, rng)
        self.applicants, self.respondents, self.third = parties
        natural = self.applicants[0].kind == "NATURAL"
        self.petition = natural and rng.random() < (0.45 if self.mass else 0.2 if self.backlog else 0.08)
        self.first_failure: datetime | None = None
        self.session_counts: dict[str, int] = {}
        days = rng.randint(380, 1100) if self.backlog else rng.randint(1, 540)
        self.t0 = later(rng, now - timedelta(days=days + 1), 1, 1)

    # --- the state machine ---------------------------------------------------------------

    def build(self) -> CaseBuilder:
        """Run the history: open, assess, mediate, hand over / escalate / refer; petitions aside."""
        handler, t = self._open(self.t0)
        if self.mass:
            self._stability(t)
        if self.backlog:
            self._drag_on(handler, t)
        elif self.stall:
            self._stall(handler, t)
        elif self.rng.random() < 0.03:
            self._close(handler, later(self.rng, t, 2, 20), "WITHDRAWN")
        else:
            t, done = self._mediate(handler, t)
            if not done:
                handler, t, done = self._next_level(handler, t)
            if not done:
                self._refer(handler, t)
        if self.petition:
            self._petitions()
        if self.stall:
            self._shift_back()
        return self

    def _open(self, t: datetime) -> tuple[str, datetime]:
        """The first record: a grid worker's screening, or an intake where the party turned up."""
        w, rng, v = self.w, self.rng, self.village
        local, township = w.local_pmc[v.code], w.township_pmc[v.township_code]
        entry = self._entry()
        if entry == "grid":
            writer = "QH-ZZZX" if rng.random() < 0.12 else local
            special = self.mass or "CAMPAIGN" in self.tags or self.category == "LAND_ACQUISITION"
            mode = "SPECIAL" if special and rng.random() < 0.7 else rng.choice(("ROLLING",) * 3 + ("CENTRALISED",))
            worker = rng.choice(w.grid_workers[v.code])
            summary = texts.screening(self, worker, mode)
            self._add(writer, "SCREENING", t, summary, {"screeningMode": mode, "foundBy": f"网格员{worker}"})
            t = later(rng, t, 0, 3)
            handler = township if writer == "QH-ZZZX" or self.mass or rng.random() < 0.3 else local
        elif entry == "walkin":
            handler = local if rng.random() < 0.6 else township
        elif entry == "department":
            handler = self.department or township
        elif entry == "social":
            handler = _SOCIAL_FIRST[self.category]
        else:
            handler = w.court_for[v.township_code]
        self._intake(handler, t)
        return handler, t

    def _entry(self) -> str:
        """How the dispute first reaches an agency."""
        if self.petition or self.backlog or self.mass or self.chain or self.stall:
            return "grid" if self.rng.random() < 0.7 else "walkin"
        options = [("grid", 48), ("walkin", 22)]
        if self.department:
            options.append(("department", 16))
        if self.category in _SOCIAL_FIRST:
            options.append(("social", 6))
        if self.category in _COURT_FIRST:
            options.append(("court", 8))
        return self.rng.choices([o for o, _ in options], weights=[wt for _, wt in options])[0]

    def _mediate(self, handler: str, t: datetime) -> tuple[datetime, bool]:
        """1-3 sessions; the last one agrees or fails. An agreement is settled to closure."""
        rng = self.rng
        kind = self.w.agency_kinds[handler]
        chance = {_PMC: 0.72, "COURT": 0.65, "SOCIAL_MEDIATION_ORG": 0.7}.get(kind, 0.58)
        if self.category in ("NEIGHBOUR", "MARRIAGE_FAMILY"):
            chance += 0.1
        if self.mass or self.category == "LAND_ACQUISITION":
            chance -= 0.3
        agreed = rng.random() < chance
        count = rng.choice((1, 1, 2, 2, 3))
        for k in range(1, count + 1):
            t = later(rng, t, 1, 10) if k == 1 else later(rng, t, 3, 25)
            outcome = "CONTINUING" if k < count else ("AGREED" if agreed else "FAILED")
            self._session(handler, t, outcome)
        if agreed:
            return self._settle(handler, t), True
        return t, False

    def _session(self, handler: str, t: datetime, outcome: str) -> None:
        """One mediation session with one or two of the agency's mediators."""
        k = self.session_counts[handler] = self.session_counts.get(handler, 0) + 1
        pool = self.w.mediators.get(handler) or [person_name(self.rng)]
        names = self.rng.sample(pool, min(len(pool), self.rng.choice((1, 1, 2))))
        location = texts.location(self, handler)
        summary = texts.session(self, k, names, location, outcome)
        details = {"mediators": names, "outcome": outcome, "location": location}
        self._add(handler, "MEDIATION_SESSION", t, summary, details)
        if outcome == "FAILED" and self.first_failure is None:
            self.first_failure = t

    def _settle(self, handler: str, t: datetime) -> datetime:
        """Agreement, sometimes judicial confirmation, usually a follow-up, then closure RESOLVED."""
        rng, kind = self.rng, self.w.agency_kinds[handler]
        t = later(rng, t, 0, 0)
        terms, amount = texts.terms(self)
        details: dict[str, Any] = {"agreementNo": texts.agreement_no(self, handler, t), "terms": terms}
        if amount is not None:
            details["amount"] = float(amount)
        agreement = self._add(handler, "AGREEMENT", t, texts.agreement(self, kind, terms), details)
        if kind != "COURT" and rng.random() < 0.22:
            court = self.w.court_for[self.village.township_code]
            tc = later(rng, t, 3, 25)
            confirmed = rng.random() < 0.95
            ruling = {"courtRulingNo": f"（{tc.year}）川0199民特{rng.randint(1, 999)}号", "confirmed": confirmed}
            summary = texts.confirmation(self, confirmed)
            self._add(court, "JUDICIAL_CONFIRMATION", tc, summary, ruling, refs=(agreement,))
            t = tc
        if rng.random() < 0.75:
            t = later(rng, t, 15, 60)
            writer = "QH-SFJ" if kind == _PMC and rng.random() < 0.2 else handler
            performed = rng.random() < 0.9
            satisfied = performed or rng.random() < 0.3
            follow = {"satisfied": satisfied, "agreementPerformed": performed}
            self._add(writer, "FOLLOW_UP", t, texts.follow_up(self, performed, satisfied), follow, refs=(agreement,))
            if not performed:
                return t  # closed only once the agreement is performed
        self._close(handler, later(rng, t, 0, 5), "RESOLVED")
        return t

    def _close(self, handler: str, t: datetime, outcome: str, target: str | None = None) -> None:
        """A closure with its outcome."""
        reason = texts.closure_reason(self, outcome, target)
        self._add(handler, "CLOSURE", t, reason, {"outcome": outcome, "reason": reason})

    def _next_level(self, handler: str, t: datetime) -> tuple[str, datetime, bool]:
        """After a failed mediation: hand over to the department in charge, or escalate."""
        rng, kind = self.rng, self.w.agency_kinds[handler]
        if kind == _PMC and self.department:
            if self.chain:
                return self._escalate(self._handover_chain(handler, t))
            if rng.random() < 0.75:
                dept = self.department
                t, accepted_at = self._handover(handler, dept, t, accepted=True)
                self._intake(dept, later(rng, accepted_at, 0, 0), handler)
                t, done = self._mediate(dept, accepted_at)
                return dept, t, done
        if kind in (_PMC, "SOCIAL_MEDIATION_ORG") and ("DIFFICULT" in self.tags or rng.random() < 0.2):
            return self._escalate(t)
        return handler, t, False

    def _handover(self, sender: str, receiver: str, t: datetime, *, accepted: bool | None) -> tuple[datetime, datetime]:
        """A handover record; returns its time and when the receiver accepted (or would have)."""
        t = later(self.rng, t, 1, 5)
        accepted_at = later(self.rng, t, 0, 3)
        reason = texts.handover_reason(self, receiver)
        details: dict[str, Any] = {"toAgency": receiver, "reason": reason, "accepted": accepted}
        if accepted:
            details["acceptedAt"] = accepted_at
        summary = texts.handover(self, receiver)
        self._add(sender, "HANDOVER", t, summary, details)
        return t, accepted_at

    def _handover_chain(self, sender: str, t: datetime) -> datetime:
        """Passed on three times, never accepted: the first two receivers return it (移交答复), the last one's is
        still pending."""
        for n, receiver in enumerate(PASSED_AROUND[self.category]):
            t, answered_at = self._handover(sender, receiver, later(self.rng, t, 3, 15), accepted=None)
            if n < 2:
                self._add(receiver, "HANDOVER_RESPONSE", answered_at, texts.handover_returned(self, receiver),
                          {"handoverEvent": len(self.events) - 1, "decision": "RETURNED",
                           "reason": texts.handover_return_reason(self, receiver)})
        return later(self.rng, t, 15, 40)

    def _escalate(self, t: datetime) -> tuple[str, datetime, bool]:
        """The township coordination centre submits the dispute to the district one, which mediates."""
        t = self._submit(later(self.rng, t, 2, 10))
        t, done = self._mediate("QH-CC", t)
        return "QH-CC", t, done

    def _submit(self, t: datetime) -> datetime:
        """ESCALATION by the township coordination centre, then the district centre's intake."""
        writer = self.w.township_cc[self.village.township_code]
        details = {"toAgency": "QH-CC", "reason": texts.escalation_reason(self)}
        self._add(writer, "ESCALATION", t, texts.escalation(self), details)
        t = later(self.rng, t, 0, 7)
        self._intake("QH-CC", t, writer)
        return t

    def _intake(self, agency: str, t: datetime, source: str | None = None) -> None:
        """An accepted intake, of a dispute handed over by `source` if given."""
        self._add(agency, "INTAKE", t, texts.intake(self, agency, source), {"accepted": True})

    def _refer(self, handler: str, t: datetime) -> None:
        """Arbitration, administrative remedies or litigation; sometimes mediated again by the court."""
        rng, kind = self.rng, self.w.agency_kinds[handler]
        t = later(rng, t, 1, 7)
        if rng.random() < 0.12:
            self._close(handler, t, "FAILED")
            return
        if self.category == "LABOUR":
            target, body = "ARBITRATION", "清河区劳动人事争议仲裁委员会"
        elif self.category == "LAND_ACQUISITION" and rng.random() < 0.6:
            target, body = rng.choice(("ADMINISTRATIVE_RULING", "ADMINISTRATIVE_RECONSIDERATION")), "清河区人民政府"
        else:
            target, body = "LITIGATION", self.w.agency_names[self.w.court_for[self.village.township_code]]
        # The referral's fate comes from an rng of its own, so that the rest of the history stays as it was.
        fate = random.Random(f"referral:{self.category}:{t.isoformat()}:{len(self.events)}")
        litigation = target == "LITIGATION"
        if litigation and self.category == "TRAFFIC_ACCIDENT" and fate.random() < 0.3:
            target = "CRIMINAL_RECONCILIATION"  # 交通肇事: reconciliation before the court
        elif litigation and self.category in ("PRIVATE_LENDING", "NEIGHBOUR") and fate.random() < 0.2:
            target, body = "SETTLEMENT", "双方当事人"
        details = {"target": target, "body": body, **_referral_state(fate, target, t)}
        self._add(handler, "REFERRAL", t, texts.referral(self, target, body), details)
        if rng.random() < 0.7:
            self._close(handler, later(rng, t, 0, 5), "REFERRED", target)
        if litigation and kind != "COURT" and rng.random() < 0.5 and target != "SETTLEMENT":
            court = self.w.court_for[self.village.township_code]
            t = later(rng, t, 10, 45)
            self._intake(court, t)
            self._mediate(court, t)

    def _drag_on(self, handler: str, t: datetime) -> None:
        """A backlog case: sessions months apart, handovers and escalation, never closed."""
        rng = self.rng
        stop = self.now - timedelta(days=rng.randint(0, 150))
        for k in range(1, 9):
            t = later(rng, t, 20, 110)
            if t >= stop:
                break
            kind = self.w.agency_kinds[handler]
            if k == 3 and kind == _PMC and self.department:
                dept = self.department
                accepted = rng.random() < 0.7
                t, accepted_at = self._handover(handler, dept, t, accepted=accepted)
                if accepted and accepted_at < stop:
                    self._intake(dept, accepted_at, handler)
                    handler = dept
            elif k == 5 and handler != "QH-CC":
                t = self._submit(t)
                handler = "QH-CC"
            else:
                self._session(handler, t, "FAILED" if rng.random() < 0.4 else "CONTINUING")
        if "CAMPAIGN" in self.tags:
            recent = later(rng, self.now - timedelta(days=rng.randint(5, 45)), 0, 0)
            self._session("QH-CC", max(recent, later(rng, t, 1, 3)), "CONTINUING")

    def _stall(self, handler: str, t: datetime) -> None:
        """Nothing happens after a session or two, or a handover nobody picks up."""
        for _ in range(self.rng.randint(0, 2)):
            t = later(self.rng, t, 2, 15)
            self._session(handler, t, "CONTINUING")
        if self.department and self.w.agency_kinds[handler] == _PMC and self.rng.random() < 0.3:
            self._handover(handler, self.department, t, accepted=None)

    def _shift_back(self) -> None:
        """Move the whole history back so its last record is 60-300 days old."""
        last = max(e.at for e in self.events)
        target = later(self.rng, self.now - timedelta(days=self.rng.randint(61, 300)), 0, 0)
        if last <= target:
            return
        delta = last - target
        for e in self.events:
            e.at -= delta
            e.details = {k: (v - delta if isinstance(v, datetime) else v) for k, v in e.details.items()}
        self.t0 -= delta

    def _stability(self, t: datetime) -> None:
        """Risk assessment by the stability office and, usually, a restricted stability plan."""
        rng = self.rng
        level = self.risk_level or "HIGH"
        factors = rng.sample(texts.FACTORS, rng.randint(2, 3))
        t = later(rng, t, 1, 10)
        summary = texts.assessment(self, level, factors)
        details = {"riskLevel": level, "factors": factors}
        assessment = self._add("QH-WWB", "STABILITY_ASSESSMENT", t, summary, details)
        if rng.random() < 0.85:
            t = later(rng, t, 1, 7)
            plan = texts.plan(self, t)
            summary = texts.plan_summary(plan)
            self._add("QH-WWB", "STABILITY_PLAN", t, summary, plan, visibility="RESTRICTED", refs=(assessment,))

    def _petitions(self) -> None:
        """One, or 2-4 repeated, petitions by the first applicant after grassroots mediation."""
        rng = self.rng
        base = self.first_failure or later(rng, self.t0, 30, 90)
        t = later(rng, max(base, self.t0), 3, 40)
        count = rng.randint(2, 4) if rng.random() < 0.3 else 1
        escalate = rng.random() < 1 / 3
        for n in range(count):
            escalated = escalate and n == count - 1
            levels = ("CITY", "PROVINCE", "BEIJING") if escalated else ("DISTRICT", "DISTRICT", "TOWNSHIP")
            level = rng.choice(levels)
            form = "VISIT" if escalated else rng.choice(("LETTER", "VISIT", "ONLINE", "PHONE"))
            size = rng.randint(5, len(self.applicants)) if self.mass else rng.choice((1, 1, 2))
            details = {"petitionNo": f"清信{t.year}{self.w.next_number('petition'):06d}", "form": form,
                       "levelReached": level, "escalated": escalated, "participants": size}
            summary = texts.petition(self, level, form, escalated, size)
            self._add("QH-XFJ", "PETITION", t, summary, details, petitioner=self.applicants[0])
            if n == 0 and rng.random() < 0.5:
                self._handover("QH-XFJ", self.w.township_cc[self.village.township_code], t, accepted=True)
            t = later(rng, t, 15, 75)

    # --- tags and events -----------------------------------------------------------------

    def _tags(self) -> list[str]:
        """Declared tags: backlog cases are old (often difficult, sometimes a campaign); mass disputes."""
        rng, tags = self.rng, []
        if self.backlog:
            tags += ["BACKLOG", "OLD"] + (["DIFFICULT"] if rng.random() < 0.6 else [])
            tags += ["CAMPAIGN"] if rng.random() < 0.4 else []
        if self.mass:
            tags += ["MASS", "DIFFICULT"] if rng.random() < 0.5 else ["MASS"]
        return tags

    def _add(self, agency: str, kind: str, at: datetime, summary: str, details: dict[str, Any], *,
             visibility: str = "NORMAL", refs: tuple[int, ...] = (), petitioner: Person | None = None) -> int:
        """Append an event; returns its id for later references."""
        self.events.append(Event(len(self.events), at, agency, kind, summary, details, visibility, refs, petitioner))
        return len(self.events) - 1
