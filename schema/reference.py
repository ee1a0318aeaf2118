"""Regions, agencies and mediators."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from hub.agencies.models import Agency
from hub.mediators.models import Mediator
from hub.cases.derive import district_day
from hub.regions.models import Region
from schema.enums import AgencyKind, Category, Channel, MediatorKind, RegionLevel
from schema.mediators import AppointmentType, TrainingRecordType
from schema.relay import Node, to_global_id


@strawberry.type(name="Region", description="行政区域 — district, township (street), village (community) or grid.")
class RegionType(Node):
    code: str = strawberry.field(description="Hierarchical code, e.g. 510199001001.")
    name: str = strawberry.field(description="Name, e.g. 桃源村.")
    level: RegionLevel = strawberry.field(description="Level in the hierarchy.")  # type: ignore[valid-type]
    parent_code: str | None = strawberry.field(description="Code of the region above.")

    @strawberry.field(description="The region above, if any.")
    async def parent(self, info: Info) -> "RegionType | None":
        return await info.context.loaders.region_by_code.load(self.parent_code) if self.parent_code else None

    @classmethod
    def from_model(cls, region: Region) -> "RegionType":
        """Convert the document."""
        return cls(id=to_global_id("Region", region.code), code=region.code, name=region.name,
                   level=region.level, parent_code=region.parent_code)


@strawberry.type(name="Agency", description="单位 — an agency that handles disputes and writes records.")
class AgencyType(Node):
    code: str = strawberry.field(description="Agency code, e.g. PB for the petition bureau.")
    name: str = strawberry.field(description="Name, e.g. 清河区信访局.")
    kind: AgencyKind = strawberry.field(description="What sort of body it is.")  # type: ignore[valid-type]
    default_channel: Channel = strawberry.field(description="The channel its records belong to by default.")  # type: ignore[valid-type]
    region_code: strawberry.Private[str]
    parent_code: strawberry.Private[str | None]

    @strawberry.field(description="The region the agency serves.")
    async def region(self, info: Info) -> RegionType | None:
        return await info.context.loaders.region_by_code.load(self.region_code)

    @strawberry.field(description="The agency above it, e.g. the district coordination centre.")
    async def parent(self, info: Info) -> "AgencyType | None":
        return await info.context.loaders.agency_by_code.load(self.parent_code) if self.parent_code else None

    @classmethod
    def from_model(cls, agency: Agency) -> "AgencyType":
        """Convert the document."""
        return cls(id=to_global_id("Agency", agency.code), code=agency.code, name=agency.name, kind=agency.kind,
                   default_channel=agency.default_channel, region_code=agency.region_code,
                   parent_code=agency.parent_code)


@strawberry.type(name="Mediator", description="调解员 — a mediator of one agency.")
class MediatorType(Node):
    code: str = strawberry.field(description="Mediator code.")
    name: str = strawberry.field(description="Name.")
    kind: MediatorKind = strawberry.field(description="专职、兼职、网格员、律师、志愿者.")  # type: ignore[valid-type]
    specialties: list[Category] = strawberry.field(description="Dispute categories the mediator specialises in.")  # type: ignore[valid-type]
    expert: bool = strawberry.field(description="In the expert pool (调解专家库).")
    trainings: list[str] = strawberry.field(description="Training courses taken (registered and recorded ones).")
    appointment: AppointmentType | None = strawberry.field(description="选聘 — the current appointment, if any.")
    training_records: list[TrainingRecordType] = strawberry.field(
        description="培训记录 — courses and guidance (对口指导), oldest first.")
    training_hours: float = strawberry.field(description="Hours of all training records.")
    agency_code: strawberry.Private[str]
    region_code: strawberry.Private[str]

    @strawberry.field(description="当前办案量 — open cases with a mediation session of the mediator's agency "
                                  "naming the mediator.")
    async def current_case_load(self, info: Info) -> int:
        return await info.context.loaders.case_load_by_mediator.load((self.agency_code, self.name))

    @strawberry.field(description="The mediator's agency.")
    async def agency(self, info: Info) -> AgencyType | None:
        return await info.context.loaders.agency_by_code.load(self.agency_code)

    @strawberry.field(description="Where the mediator works.")
    async def region(self, info: Info) -> RegionType | None:
        return await info.context.loaders.region_by_code.load(self.region_code)

    @classmethod
    def from_model(cls, m: Mediator) -> "MediatorType":
        """Convert the document."""
        specialties: list[Any] = [s for s in m.specialties if s in Category.__members__]
        return cls(id=to_global_id("Mediator", m.code), code=m.code, name=m.name, kind=m.kind,
                   specialties=[Category(s) for s in specialties], expert=m.expert,
                   trainings=m.courses(), agency_code=m.agency_code, region_code=m.region_code,
                   appointment=AppointmentType.from_model(m.appointment, district_day()) if m.appointment else None,
                   training_records=[TrainingRecordType.from_model(t) for t in m.training_records],
                   training_hours=m.training_hours())
