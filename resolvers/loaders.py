"""Per-request DataLoaders: one query per level of a response, never one per row."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, TypeVar

from bson import ObjectId
from strawberry.dataloader import DataLoader

from hub.agencies import service as agency_service
from hub.analytics.summary import summarize_many
from hub.auth.service import AgencyDirectory
from hub.campaigns import service as campaign_service
from hub.cases import service as case_service
from hub.mediators import service as mediator_service
from hub.meetings import service as meeting_service
from hub.people import service as person_service
from hub.regions import service as region_service
from schema.cases import CaseType
from schema.people import PersonType
from schema.reference import AgencyType, RegionType

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def _loader(fetch: Callable[[list[Any]], Awaitable[dict[Any, Any]]], convert: Callable[[Any], V]) -> DataLoader[Any, V | None]:
    """A loader that fetches a dict of models by key and returns converted values in key order."""

    async def batch(keys: Sequence[Any]) -> list[V | None]:
        found = await fetch(list(keys))
        return [convert(found[k]) if k in found else None for k in keys]

    return DataLoader(load_fn=batch)


class Loaders:
    """The request's loaders, reached as ``info.context.loaders.<name>``."""

    def __init__(self, directory: AgencyDirectory | None = None) -> None:
        fetch_agencies = directory.get_many if directory else (lambda ks: agency_service.get_many_by_code(codes=ks))
        self.agency_by_code = _loader(fetch_agencies, AgencyType.from_model)
        self.region_by_code = _loader(lambda ks: region_service.get_many_by_code(codes=ks), RegionType.from_model)
        self.person_by_id = _loader(lambda ks: person_service.get_many(ids=ks), PersonType.from_model)
        self.case_by_id = _loader(lambda ks: case_service.get_many(ids=ks), CaseType.from_model)
        self.case_file_by_id = _loader(lambda ks: case_service.get_files(ids=ks), lambda f: f)
        self.case_id_by_number = _loader(_case_ids_by_number, lambda i: i)
        self.case_id_by_text = _loader(_case_ids_by_text, lambda i: i)
        self.region_path_by_code = _loader(lambda ks: region_service.get_many_by_code(codes=ks), lambda r: r.path)
        self.mediator_by_code = _loader(lambda ks: mediator_service.get_many_by_code(codes=ks), lambda m: m)
        # (agency code, name) -> open cases with a session of that agency naming the mediator
        self.case_load_by_mediator = DataLoader(load_fn=_case_loads)
        self.meeting_by_id = _loader(lambda ks: meeting_service.get_many(ids=ks), lambda m: m)
        self.enrolments_by_case = _loader(lambda ks: campaign_service.of_cases(case_ids=ks), lambda e: e)
        self.campaign_by_id = _loader(lambda ks: campaign_service.get_many(ids=ks), lambda c: c)
        # The summaries of one request (a dashboard aliases several) are counted together: shared totals.
        self.summary = DataLoader(load_fn=summarize_many)


async def _case_ids_by_number(numbers: list[str]) -> dict[str, Any]:
    found = await case_service.find_numbers(case_nos=numbers)
    return {no: doc["_id"] for no, doc in found.items()}


async def _case_ids_by_text(texts: list[str]) -> dict[str, Any]:
    """The ObjectIds written in texts (texts that are not one are absent)."""
    return {t: ObjectId(t) for t in texts if ObjectId.is_valid(t)}



async def _case_loads(keys: Sequence[tuple[str, str]]) -> list[int]:
    found = await mediator_service.case_loads(mediators=list(keys))
    return [found.get(k, 0) for k in keys]
