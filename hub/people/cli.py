"""`hub identities`: the identity review queue from the command line, in a coordination centre's name
(docs/identity-review.md). Identifiers are printed masked, as to a user without `pii`."""

from __future__ import annotations

from typing import Any

import click

from hub.config import Settings

# hub.cli registers this group; its helpers are imported when a command runs, so either module may load first.


def _run(work: Any) -> Any:
    from hub.cli import reports_errors, run_with_database

    return reports_errors(run_with_database)(work)


async def _centre(code: str, user: str) -> Any:
    """A coordination centre's user, as the policy sees it; BAD_USER_INPUT for any other agency."""
    from hub.agencies import service as agency_service
    from hub.agencies.models import AgencyKind
    from hub.auth.policy import Principal
    from hub.errors import BadUserInput
    from hub.regions import service as region_service

    agency = await agency_service.get_by_code(code=code)
    if agency is None or agency.kind != AgencyKind.COORDINATION_CENTRE:
        raise BadUserInput(f"{code!r} is no coordination centre: the queue is theirs (`hub agencies`)", field="agency")
    region = await region_service.get_by_code(code=agency.region_code)
    path = tuple(region.path) if region is not None else (agency.region_code,)
    return Principal(agency_code=code, agency_kind=AgencyKind.COORDINATION_CENTRE, region_path=path, user=user,
                     roles=frozenset())


AGENCY = click.option("--agency", required=True, help="The coordination centre acting (its code, `hub agencies`).")


@click.group("identities")
def identities() -> None:
    """The identity review queue (身份研判): pairs of persons matching left apart that look like one."""


@identities.command("list")
@AGENCY
@click.option("--status", type=click.Choice(["OPEN", "MERGED", "KEPT_APART", "UNDONE"]), default="OPEN",
              show_default=True, help="Only reviews in this state.")
@click.option("--first", type=click.IntRange(1, 100), default=20, show_default=True, help="How many, newest first.")
def list_(agency: str, status: str, first: int) -> None:
    """The centre's reviews: id, status, reasons, and each person's name with masked ID number and phone."""
    from hub.people import review
    from hub.people.models import ReviewStatus

    async def work(settings: Settings, database: Any) -> Any:
        centre = await _centre(agency, "hub identities list")
        page, _ = await review.page(region_code=centre.region_code, status=ReviewStatus(status), first=first,
                                    after=None)
        people = await review.persons([p for r in page for p in r.person_ids])
        return page, people

    page, people = _run(work)
    for item in page:
        shown = "; ".join(f"{p.name} {p.id_masked or '-'} {p.phone_masked or '-'}"
                          for p in (people.get(i) for i in item.person_ids) if p is not None)
        click.echo(f"{item.id}\t{item.status.value}\t{','.join(r.value for r in item.reasons)}\t{shown}")
    if not page:
        click.echo(f"no {status} review for {agency}", err=True)


def _decision(name: str, action: str, help_text: str) -> None:
    @identities.command(name, help=help_text)
    @click.argument("review_id")
    @AGENCY
    @click.option("--user", required=True, help="Who decides (kept with the decision and in the audit trail).")
    @click.option("--reason", required=True, help="Why.")
    def command(review_id: str, agency: str, user: str, reason: str) -> None:
        from hub.audit import chain, service as audit_service
        from hub.audit.models import Outcome
        from hub.keys.cli import _secret  # HUB_SECRET_KEY, never a made-up one (the audit chain's key comes from it)
        from hub.people import review

        async def work(settings: Settings, database: Any) -> Any:
            centre = await _centre(agency, user)
            done = await getattr(review, action)(review_id=review_id, region_code=centre.region_code,
                                                 by={"agency": agency, "user": user}, reason=reason)
            await audit_service.append(principal=centre, operation=f"hub identities {name}",
                                       targets=[review_id, *done.person_ids], outcome=Outcome.OK,
                                       key=chain.key_for(_secret(settings)))
            return done

        done = _run(work)
        click.echo(f"{done.id}\t{done.status.value}")


_decision("merge", "merge", "One person: merge the pair (undoable with `undo`).")
_decision("keep-apart", "keep_apart", "Two people: keep the pair apart, never to be queued again.")
_decision("undo", "undo", "Take a merge back exactly.")
