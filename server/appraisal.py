"""The monthly appraisal (考核) read model: the facts of a site's month, attributed to the
people who answer for them (`domain.appraisal`), with figures, scores and evidence.

Used by the API (`server/api/appraisal.py`) and the console alike, after the same checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from domain.appraisal import (
    DEFAULT_SETTINGS,
    TEAM_PREFIX,
    UNASSIGNED,
    AnomalyFact,
    AppraisalInputs,
    AppraisalSettings,
    FraudFact,
    InspectionFact,
    RectFact,
    appraise,
    area_owner,
    attribute,
    evidence,
    scheme_for_site,
    score,
    settings_from_dict,
    settings_to_dict,
)
from domain.models import Role
from domain.schedules import period_bounds
from domain.trust import Verdict
from domain.wire import RecordKind
from server import reports
from server.storage import Storage
from server.tickets import ticket_states

__all__ = [
    "TEAMS",
    "Month",
    "appraisal_details",
    "company_settings",
    "is_known_subject",
    "month_appraisal",
    "month_inputs",
    "parse_month",
    "site_scheme",
    "team_of",
]

# A person's team is the side of the site they work on.
TEAMS = {
    Role.GUARD: "patrol",
    Role.GUARD_LEAD: "patrol",
    Role.CLEANER: "cleaning",
    Role.CLEANING_SUPERVISOR: "cleaning",
}


def team_of(role: str) -> str:
    try:
        return TEAMS.get(Role(role), "management")
    except ValueError:
        return "management"


@dataclass(frozen=True, slots=True)
class Month:
    label: str  # YYYY-MM
    start: datetime  # UTC bounds of the local calendar month
    end: datetime


def parse_month(text: str, tz: ZoneInfo) -> Month:
    """A YYYY-MM month (2020–2099, the years records may carry) in the site's time zone;
    ValueError otherwise."""
    try:
        year, month = (int(p) for p in text.split("-"))
        first = date(year, month, 1)
    except ValueError as exc:
        raise ValueError("month must be YYYY-MM") from exc
    if not 2020 <= year <= 2099 or len(text) != 7:
        raise ValueError("month must be YYYY-MM, from 2020 to 2099")
    start, end = period_bounds("month", first, tz)
    return Month(text, start, end)


def company_settings(storage: Storage, company_id: str) -> AppraisalSettings:
    """The company's stored scheme, else the defaults (a bad stored one too)."""
    stored = storage.appraisal_settings(company_id)
    if stored is None:
        return DEFAULT_SETTINGS
    try:
        return settings_from_dict(stored)
    except ValueError:
        return DEFAULT_SETTINGS


def site_scheme(storage: Storage, site_id: str) -> AppraisalSettings:
    """The scheme the site is scored by: the company's, with the site's own KPI weights
    when its settings set them (`domain.appraisal.scheme_for_site`)."""
    site = storage.site(site_id)
    assert site is not None
    weights = storage.site_settings_json(site_id).get("appraisal_weights")
    return scheme_for_site(
        company_settings(storage, site["company_id"]),
        weights if isinstance(weights, dict) else None,
    )


def month_inputs(storage: Storage, site_id: str, month: Month, now: datetime) -> AppraisalInputs:
    """Every fact of the month that the appraisal counts, attributed."""
    coverage, _ = reports.site_coverage(storage, site_id, month.start, month.end, now)
    schedules = storage.schedules(site_id)
    inputs = AppraisalInputs(visits=attribute(coverage, schedules))
    inspections = list(storage.records(site_id, [RecordKind.INSPECTION], month.start, month.end))
    rejected = reports.rejected_ids(storage, site_id, inspections)
    for r in inspections:
        if r.id in rejected:  # rejected on review: counts in no figure
            continue
        point = r.point_id or ""
        inputs.inspections.append(
            InspectionFact(
                r.id,
                point,
                r.user_id,
                r.device_time,
                r.body["results"],
                area_owner(schedules, point, r.device_time),
            )
        )
    for rect in reports.rectifications(storage, site_id, now, month.start, include_closed=True):
        opened = datetime.fromisoformat(rect["opened_at"])
        if opened >= month.end:
            continue
        inputs.rectifications.append(
            RectFact(
                rect["id"],
                rect["point_id"] or "",
                rect["item"],
                opened,
                datetime.fromisoformat(rect["deadline"]),
                rect["assignee_id"],
                rect["fixed_by"],
                rect["state"],
                rect["overdue"],
                rect["reopened"],
                None,
            )
        )
    anomalies = list(storage.records(site_id, [RecordKind.ANOMALY], month.start, month.end))
    tickets = ticket_states(storage, site_id, anomalies, now)
    rejected = reports.rejected_ids(storage, site_id, anomalies)
    for r in anomalies:
        if r.id in rejected:
            continue
        ticket = tickets[r.id]
        inputs.anomalies.append(
            AnomalyFact(
                r.id,
                r.user_id,
                r.device_time,
                str(r.body.get("category") or ""),
                r.point_id,
                ticket.closed_at,
                ticket.hours_to_close,
                ticket.status.value,
                ticket.closed_by,
            )
        )
    inputs.frauds.extend(_frauds(storage, site_id, month))
    return inputs


def _frauds(storage: Storage, site_id: str, month: Month) -> list[FraudFact]:
    """Flagged records of the month whose deciding (latest) review rejected them."""
    flagged = [
        r for r in storage.records(site_id, [RecordKind.SCAN], month.start, month.end) if r.flags
    ]
    if not flagged:
        return []
    decided = storage.latest_reviews(site_id, [r.id for r in flagged])
    out = []
    for r in flagged:
        review = decided.get(r.id)
        if review is not None and review.verdict is Verdict.REJECT:
            out.append(
                FraudFact(
                    r.id,
                    r.user_id,
                    r.device_time,
                    tuple(r.flags),
                    review.reviewer_id,
                    review.reason,
                )
            )
    return out


def _people(storage: Storage, site_id: str) -> dict[str, dict[str, str]]:
    return {u["id"]: u for u in storage.site_users(site_id)}


def is_known_subject(storage: Storage, site_id: str, who: str) -> bool:
    """Is `who` someone a site's figures can be about: a member, a team or `unassigned`?"""
    if who == "unassigned":
        return True
    people = _people(storage, site_id)
    if who.startswith("team:"):
        team = who.removeprefix("team:")
        rostered = {s.responsible_team for s in storage.schedules(site_id)}
        return team in rostered or any(team_of(u["role"]) == team for u in people.values())
    return who in people


def month_appraisal(storage: Storage, site_id: str, month: Month, now: datetime) -> dict[str, Any]:
    """Figures and score of each person and team of the site for the month."""
    site = storage.site(site_id)
    assert site is not None
    settings = site_scheme(storage, site_id)
    inputs = month_inputs(storage, site_id, month, now)
    people = _people(storage, site_id)
    teams = {uid: f"team:{team_of(u['role'])}" for uid, u in people.items()}
    result = appraise(inputs, teams)

    def row(
        key: str, figures: Any, name: str, role: str | None, team: str | None
    ) -> dict[str, Any]:
        return {
            "id": key,
            "name": name,
            "role": role,
            "team": team,
            "figures": figures.as_dict(),
            "score": score(figures, settings).as_dict(),
        }

    rows = []
    for key, figures in result.people.items():
        if key.startswith(TEAM_PREFIX):
            continue  # a team rostered as such: among the teams below
        user = people.get(key)
        rows.append(
            row(
                key,
                figures,
                user["name"] if user else key,
                user["role"] if user else None,
                teams.get(key),
            )
        )
    rows.sort(key=lambda r: (r["id"] == UNASSIGNED, -r["score"]["total"], r["id"]))
    return {
        "site_id": site_id,
        "month": month.label,
        "start": month.start.isoformat(),
        "end": month.end.isoformat(),
        "as_of": now.isoformat(),
        "settings": settings_to_dict(settings),
        "site_weights": settings.weights != company_settings(storage, site["company_id"]).weights,
        "people": rows,
        "teams": [
            row(key, figures, key.removeprefix("team:"), None, None)
            for key, figures in result.teams.items()
            if key.startswith("team:")
        ],
    }


def appraisal_details(
    storage: Storage, site_id: str, month: Month, now: datetime, who: str, figure: str
) -> list[dict[str, Any]]:
    """The facts behind one figure of a person, `team:<name>`, or `unassigned`."""
    inputs = month_inputs(storage, site_id, month, now)
    if who.startswith("team:"):
        team = who.removeprefix("team:")
        members = [
            uid for uid, u in _people(storage, site_id).items() if team_of(u["role"]) == team
        ]
        return evidence(inputs, who, figure, [*members, who])
    return evidence(inputs, UNASSIGNED if who == "unassigned" else who, figure)
