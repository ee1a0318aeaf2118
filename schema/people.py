"""Persons (parties), their identifiers masked unless the caller may see them."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from hub.auth import policy
from hub.people.models import IdentityReview, Person, ReviewReason, ReviewStatus
from schema.enums import PartyKind, PartyRole, described_enum
from schema.relay import Node, to_global_id


@strawberry.type(
    name="Person",
    description="当事人 — a party. ID numbers, credit codes, phones and addresses are masked (510***********123X, "
                "138****5678) unless the caller holds the `pii` role.",
)
class PersonType(Node):
    kind: PartyKind = strawberry.field(description="Natural person or organisation.")  # type: ignore[valid-type]
    name: str = strawberry.field(description="Name.")
    verified: bool = strawberry.field(description="Known by a checked ID number or credit code.")
    first_seen_at: datetime = strawberry.field(description="When the hub first heard of this person.")
    model: strawberry.Private[Person]

    def _shown(self, info: Info, masked: str | None, encrypted: str | None) -> str | None:
        if encrypted and policy.sees_personal_data(info.context.principal):
            return info.context.keys.decrypt(encrypted)
        return masked

    @strawberry.field(description="ID number or credit code: masked unless the caller holds the `pii` role.")
    def id_number(self, info: Info) -> str | None:
        return self._shown(info, self.model.id_masked, self.model.id_encrypted)

    @strawberry.field(description="Phone: masked (e.g. 138****5678) unless the caller holds the `pii` role.")
    def phone(self, info: Info) -> str | None:
        return self._shown(info, self.model.phone_masked, self.model.phone_encrypted)

    @strawberry.field(description="Address: masked unless the caller holds the `pii` role.")
    def address(self, info: Info) -> str | None:
        return self._shown(info, self.model.address_masked, self.model.address_encrypted)

    @classmethod
    def from_model(cls, person: Person) -> "PersonType":
        """Convert the document (identifiers are shown per caller)."""
        return cls(id=to_global_id("Person", person.id), kind=person.kind, name=person.name,
                   verified=person.verified, first_seen_at=person.first_seen_at, model=person)


@strawberry.type(name="Party", description="A party to a case or record, with their role.")
class PartyType:
    role: PartyRole = strawberry.field(description="申请人、被申请人、信访人、第三人.")  # type: ignore[valid-type]
    name: str = strawberry.field(description="The name as the record gives it.")
    person_id: strawberry.Private[object]

    @strawberry.field(description="The person, linked across agencies.")
    async def person(self, info: strawberry.Info) -> PersonType | None:
        return await info.context.loaders.person_by_id.load(self.person_id)


ReviewStatusEnum = described_enum(
    ReviewStatus, {"OPEN": "待研判", "MERGED": "已合并", "KEPT_APART": "确认为不同人", "UNDONE": "已撤销合并"},
    name="IdentityReviewStatus", description="身份研判状态 — where a look-alike pair stands.",
    glosses={"OPEN": "waiting for a coordination centre", "MERGED": "found to be one person and merged",
             "KEPT_APART": "found to be two people; never queued again", "UNDONE": "merged, then the merge was undone"})
ReviewReasonEnum = described_enum(
    ReviewReason, {"SIMILAR_PHONE": "同名且电话相近", "SIMILAR_ID_NUMBER": "同名且证件号码相近",
                   "SAME_NAME_IN_CASE": "同一案件中同名"},
    name="IdentityReviewReason", description="疑似同一人的理由 — why a pair matching left apart looks like one person.",
    glosses={"SIMILAR_PHONE": "the same name, phones one digit apart",
             "SIMILAR_ID_NUMBER": "the same name, checked ID numbers or credit codes two edits apart",
             "SAME_NAME_IN_CASE": "the same name among one case's parties"})


@strawberry.type(name="IdentityScore", description="One figure behind a review's reasons (jellyfish's).")
class IdentityScoreType:
    name: str = strawberry.field(description="phoneDistance, phoneJaroWinkler, idDistance, nameJaroWinkler.")
    value: float = strawberry.field(description="The figure.")


@strawberry.type(name="IdentityDecision", description="One decision on a review, or its undoing.")
class IdentityDecisionType:
    action: str = strawberry.field(description="MERGE, KEEP_APART or UNDO.")
    at: datetime = strawberry.field(description="When.")
    agency_code: str = strawberry.field(description="The coordination centre.")
    user: str = strawberry.field(description="Who.")
    reason: str = strawberry.field(description="Why.")


@strawberry.type(name="IdentityReview", description="身份研判 — two Persons matching left apart that look like one: "
                                                   "a coordination centre merges them or keeps them apart.")
class IdentityReviewType:
    id: strawberry.ID = strawberry.field(description="The review's id (the pair).")
    reasons: list[ReviewReasonEnum] = strawberry.field(description="Why they look alike.")  # type: ignore[valid-type]
    scores: list[IdentityScoreType] = strawberry.field(description="The figures behind the reasons.")
    status: ReviewStatusEnum = strawberry.field(description="Where it stands.")  # type: ignore[valid-type]
    found_at: datetime = strawberry.field(description="When the pair was found.")
    decided_at: datetime | None = strawberry.field(description="When it was last decided (or undone).")
    reason: str | None = strawberry.field(description="The reason given with the last decision.")
    history: list[IdentityDecisionType] = strawberry.field(description="Every decision and undo, oldest first.")
    person_ids: strawberry.Private[list[str]]

    @strawberry.field(description="The two Persons (a merged one as it stood when merged); ID numbers and phones "
                                  "masked unless the caller holds the `pii` role.")
    async def persons(self, info: Info) -> list[PersonType]:
        found = await info.context.loaders.person_by_id.load_many(self.person_ids)
        return [p for p in found if p is not None]

    @classmethod
    def from_model(cls, review: IdentityReview) -> IdentityReviewType:
        return cls(id=strawberry.ID(str(review.id)), reasons=list(review.reasons),
                   scores=[IdentityScoreType(name=k, value=v) for k, v in sorted(review.scores.items())],
                   status=review.status, found_at=review.found_at, decided_at=review.decided_at, reason=review.reason,
                   history=[IdentityDecisionType(action=h["action"], at=h["at"], agency_code=h["by"]["agency"],
                                                 user=h["by"]["user"], reason=h["reason"]) for h in review.history],
                   person_ids=list(review.person_ids))
