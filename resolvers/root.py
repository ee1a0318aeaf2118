"""Assembles the GraphQL schema from the per-domain query and mutation classes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import strawberry
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules, ValidationCache
from strawberry.tools import merge_types

from resolvers.analytics import AnalyticsQuery
from resolvers.audit import AuditQuery
from resolvers.campaigns import CampaignMutation, CampaignQuery
from resolvers.changes import ChangeQuery
from resolvers.cases import CaseMutation, CaseQuery
from resolvers.handovers import HandoverMutation, HandoverQuery
from resolvers.identity_reviews import IdentityReviewMutation, IdentityReviewQuery
from resolvers.ingest import IngestMutation
from resolvers.mediators import MediatorMutation, MediatorQuery
from resolvers.meetings import MeetingMutation, MeetingQuery
from resolvers.notices import NoticeMutation, NoticeQuery
from resolvers.notifications import EventSubscription, WebhookMutation, WebhookQuery
from resolvers.people import PersonQuery
from resolvers.reference import ReferenceQuery
from resolvers.referrals import ReferralMutation
from resolvers.system import SystemQuery
from resolvers.typical_cases import TypicalCaseMutation, TypicalCaseQuery
from resolvers.viewer import ViewerQuery
from schema.errors import ErrorCodes, HubSchema
from schema.limits import Limits, limit_extensions
from schema.records import RECORD_TYPES

Query = merge_types("Query", (CaseQuery, PersonQuery, AnalyticsQuery, MeetingQuery, AuditQuery, ReferenceQuery, SystemQuery,
                                ViewerQuery, MediatorQuery, TypicalCaseQuery, CampaignQuery, NoticeQuery,
                                HandoverQuery, WebhookQuery, ChangeQuery, IdentityReviewQuery))
Mutation = merge_types("Mutation", (IngestMutation, CaseMutation, MeetingMutation, MediatorMutation, TypicalCaseMutation,
                                      CampaignMutation, NoticeMutation, HandoverMutation, ReferralMutation,
                                      WebhookMutation, IdentityReviewMutation))
Subscription = EventSubscription  # one kind of subscription so far


def build_schema(limits: Limits | None = None, *, introspection: bool = True,
                 observers: Sequence[Any] = ()) -> strawberry.Schema:
    """The hub's GraphQL schema, refusing documents over the limits (and introspection, when told). `observers`:
    extensions (factories) that see each operation whole, the app's metrics and traces: first, so they exit last,
    after ErrorCodes."""
    extensions: list[Any] = [*observers, ErrorCodes, *limit_extensions(limits or Limits())]
    if not introspection:
        extensions.append(lambda: AddValidationRules([NoSchemaIntrospectionCustomRule]))
    # Agencies' systems send the same few documents again and again: validate each once.
    extensions.append(lambda: ValidationCache(maxsize=512))
    return HubSchema(query=Query, mutation=Mutation, subscription=Subscription, extensions=extensions,
                     types=list(RECORD_TYPES.values()))
