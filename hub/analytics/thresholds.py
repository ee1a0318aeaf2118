"""The early-warning rules' thresholds, kept apart so settings can hold them without import cycles."""

from __future__ import annotations

from pydantic import BaseModel


class Thresholds(BaseModel):
    """Every rule's knobs (settings: ``HUB_WARNINGS__<NAME>``)."""

    repeat_petitions: int = 3  # petitions by one person ...
    repeat_window_days: int = 365  # ... within this many days
    escalated_window_days: int = 90  # an escalated petition this recent
    mass_parties: int = 10  # parties (petition participants included)
    stalled_days: int = 30  # no record for this long
    unaccepted_handovers: int = 2  # more handovers than this, none accepted
    handover_answer_days: int = 7  # a handover without its own deadline is to be answered within this
    backlog_days: int = 90  # open for longer than this counts as backlog
    campaign_assign_days: int = 3  # a campaign's enrolled case still without a responsible unit after this
    campaign_overdue_critical_days: int = 30  # past its deadline for longer than this: CRITICAL, not HIGH
