"""The one explicit list of document models handed to ``init_beanie``."""

from __future__ import annotations

from hub.agencies.models import Agency
from hub.audit.models import AuditEntry, AuditSeal, AuditSealLease
from hub.auth.models import RateWindow, RevokedToken
from hub.campaigns.models import Campaign, Enrolment
from hub.cases.models import Case, CaseCounter, CaseFile, CaseNumber
from hub.changes.models import Change
from hub.documents.models import TrustedDocument
from hub.mediators.models import Mediator
from hub.meetings.models import JointMeeting
from hub.notices.models import SupervisionNotice
from hub.notifications.models import Delivery, OutboxCursor, OutboxEvent, RaisedWarning, WatchLease, Webhook
from hub.people.models import IdentityReview, Person, PersonKey, PersonName
from hub.records.models import RECORD_CLASSES, Record
from hub.regions.models import Region
from hub.typical_cases.models import TypicalCase

DOCUMENT_MODELS: list[type] = [
    Region,
    Agency,
    Person,
    PersonKey,
    IdentityReview,
    PersonName,
    Case,
    CaseFile,
    CaseCounter,
    CaseNumber,
    Record,
    *RECORD_CLASSES.values(),
    Mediator,
    JointMeeting,
    TypicalCase,
    Campaign,
    Enrolment,
    SupervisionNotice,
    AuditEntry,
    AuditSeal,
    AuditSealLease,
    RevokedToken,
    RateWindow,
    OutboxEvent,
    Change,
    OutboxCursor,
    Webhook,
    Delivery,
    WatchLease,
    RaisedWarning,
    TrustedDocument,
]
