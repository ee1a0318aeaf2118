"""Joint meetings of departments (联席会议), their agenda and decisions."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from beanie import Document, PydanticObjectId
from pydantic import BaseModel, Field
from pymongo import ASCENDING, IndexModel


class MeetingLevel(StrEnum):
    """District or township meeting."""

    DISTRICT = "DISTRICT"
    TOWNSHIP = "TOWNSHIP"


class DecisionStatus(StrEnum):
    """Whether a decision has been carried out."""

    OPEN = "OPEN"
    DONE = "DONE"


class Decision(BaseModel):
    """A decision of the meeting (会议决定事项) with its owner agency and due date."""

    key: str
    text: str
    owner_agency_code: str
    due_date: date
    status: DecisionStatus = DecisionStatus.OPEN
    recorded_at: datetime
    done_at: datetime | None = None
    done_note: str | None = None
    case_id: PydanticObjectId | None = None

    def overdue(self, on: date) -> bool:
        """Still open after its due date."""
        return self.status is DecisionStatus.OPEN and self.due_date < on


class JointMeeting(Document):
    """One joint meeting: who convenes it, who takes part, the cases on its agenda, what it decided."""

    level: MeetingLevel
    region_code: str
    region_path: list[str]
    held_on: date
    convener_agency_code: str
    participant_agency_codes: list[str] = Field(default_factory=list)
    agenda_case_ids: list[PydanticObjectId] = Field(default_factory=list)
    decisions: list[Decision] = Field(default_factory=list)
    title: str
    created_at: datetime

    class Settings:
        name = "joint_meetings"
        use_revision = True  # concurrent edits of one meeting: the second gets CONFLICT, nothing is lost
        indexes = [
            IndexModel([("region_code", ASCENDING), ("held_on", ASCENDING)]),
            # A region's meetings, latest first, tie-breaker included (read backwards).
            IndexModel([("region_path", ASCENDING), ("held_on", ASCENDING), ("_id", ASCENDING)]),
            # Open decisions falling due soon, whatever the region (the watch's DEADLINE_NEAR).
            IndexModel([("decisions.status", ASCENDING), ("decisions.due_date", ASCENDING)]),
        ]
