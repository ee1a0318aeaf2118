"""Mediators: people who mediate, by agency, with specialties and expert-pool membership."""

from __future__ import annotations

from enum import StrEnum

from beanie import Document
from pydantic import Field
from pymongo import ASCENDING, IndexModel


class MediatorKind(StrEnum):
    """专职, 兼职, 网格员, 律师, 志愿者."""

    FULL_TIME = "FULL_TIME"
    PART_TIME = "PART_TIME"
    GRID_WORKER = "GRID_WORKER"
    LAWYER = "LAWYER"
    VOLUNTEER = "VOLUNTEER"


class Mediator(Document):
    """A mediator of one agency; `expert` marks the expert pool (调解专家库)."""

    code: str
    name: str
    agency_code: str
    region_code: str
    kind: MediatorKind
    specialties: list[str] = Field(default_factory=list)
    expert: bool = False
    trainings: list[str] = Field(default_factory=list)

    class Settings:
        name = "mediators"
        indexes = [
            IndexModel([("code", ASCENDING)], unique=True),
            IndexModel([("agency_code", ASCENDING)]),
            IndexModel([("specialties", ASCENDING)]),
            IndexModel([("expert", ASCENDING)]),  # `mediators(expert: true)`: the expert pool
        ]
