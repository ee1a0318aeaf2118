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
    """A decision of the meeting with its owner and due date."""

    key: str
    text: str
    owner_agency_code: str
    due_date: date
    status: DecisionStatus = DecisionStatus.OPEN
    done_at: datetime | None = None
    case_id: PydanticObjectId | None = None


class JointMeeting(Document):
    """One joint meeting."""

    level: MeetingLevel
    region_code: str
    held_on: date
    convener_agency_code: str
    participant_agency_codes: list[str] = Field(default_factory=list)
    agenda_case_ids: list[PydanticObjectId] = Field(default_factory=list)
    decisions: list[Decision] = Field(default_factory=list)
    title: str | None = None

    class Settings:
        name = "joint_meetings"
        indexes = [IndexModel([("region_code", ASCENDING), ("held_on", ASCENDING)])]
