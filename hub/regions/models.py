"""Regions: district → township (street) → village (community) → grid, by hierarchical code."""

from __future__ import annotations

from enum import StrEnum

from beanie import Document
from pymongo import ASCENDING, IndexModel


class RegionLevel(StrEnum):
    """How deep a region sits in the hierarchy."""

    DISTRICT = "DISTRICT"
    TOWNSHIP = "TOWNSHIP"
    VILLAGE = "VILLAGE"
    GRID = "GRID"


class Region(Document):
    """One administrative area; `path` lists its own code and every ancestor's, top first."""

    code: str
    name: str
    level: RegionLevel
    parent_code: str | None = None
    path: list[str]

    class Settings:
        name = "regions"
        indexes = [
            IndexModel([("code", ASCENDING)], unique=True),
            IndexModel([("parent_code", ASCENDING)]),
        ]
