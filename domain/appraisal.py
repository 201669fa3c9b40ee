"""Monthly appraisal (考核): who answers for each expected visit, and the figures and
score of each person and team.

Rules (DOMAIN.md, "Responsibility" and "Appraisal"):
- Every expected visit belongs to someone, so a miss counts against a person:
  1. the round it sits in was started: the person it was done *for* when a lead handed it
     over (``for_user_id``), else the person who walked it;
  2. else the person the schedule names as responsible (``Schedule.responsible_user_id``,
     the roster: who was assigned to that route, area or shift), else the team or shift
     it names (``responsible_team``), which answers as ``team:<name>``;
  3. else, for a visit that was met, the person who scanned it;
  4. else nobody: the visit is listed under "unassigned", never dropped.
- Inspection pass rate belongs to whoever answers for the inspected area (the responsible
  person of the area's schedule in force at the inspection); items passed ÷ applicable.
- A rectification belongs to its assignee, else to whoever fixed it. Closed on time is
  closed by its deadline; the rate is over the decided ones (closed, or open past the
  deadline); every send-back counts as a reopen.
- Anomalies count for the person who reported them (reported, and of those closed): an
  anomaly is closed when its ticket (`domain.tickets`) stands closed as of the appraisal
  (a reopened ticket is open again); time to close is the ticket's, from the report to its
  last close, and the figure is the mean over the closed ones.
- A fraud flag is confirmed when a reviewer rejected the person's flagged record.
- Score: each KPI with a value earns its weight less `points_per_percent` for each
  percentage point below its target (never below 0); KPIs with no value for a person
  (a guard has no inspected areas) are left out and the rest rescaled to 100; then fixed
  deductions per confirmed fraud flag and per reopened rectification; floored at 0.
- Scheme: the company's (weights, targets, deductions); a site that set its own KPI weights
  is scored with those weights and the company's targets and deductions
  (`scheme_for_site`).
- Team names are keys (``patrol``, ``cleaning``, ``management``) shown only through
  `team_label`, in the UI's language.
- Everything is explainable: `evidence` returns exactly the facts a figure was made from.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.coverage import Coverage, Tally, Visit, VisitStatus
from domain.models import Schedule, TargetKind
from domain.scoring import ItemResult

__all__ = [
    "DEFAULT_SETTINGS",
    "FIGURES",
    "KPIS",
    "SITE_WEIGHT_NAMES",
    "TEAM_NAMES",
    "TEAM_PREFIX",
    "UNASSIGNED",
    "UNASSIGNED_NAMES",
    "AnomalyFact",
    "Appraisal",
    "AppraisalInputs",
    "AppraisalSettings",
    "AttributedVisit",
    "Figures",
    "FraudFact",
    "InspectionFact",
    "RectFact",
    "Score",
    "appraise",
    "area_owner",
    "attribute",
    "evidence",
    "schedule_in_force",
    "schedule_owner",
    "scheme_for_site",
    "score",
    "settings_from_dict",
    "settings_to_dict",
    "subject_label",
    "team_label",
]

UNASSIGNED = "(unassigned)"
TEAM_PREFIX = "team:"
KPIS = ("coverage", "punctuality", "pass_rate", "rectification_on_time")
# Every figure `evidence` can explain.
FIGURES = (
    "visits",
    "coverage",
    "punctuality",
    "pass_rate",
    "rectifications",
    "rectification_on_time",
    "reopened",
    "anomalies",
    "anomalies_closed",
    "fraud_confirmed",
)

# The teams a person's role puts them in, by name in each UI language (zh, en). A team a
# roster names in its own words (``responsible_team``) shows as written.
TEAM_NAMES: Mapping[str, tuple[str, str]] = {
    "patrol": ("秩序维护组", "Patrol"),
    "cleaning": ("保洁组", "Cleaning"),
    "management": ("管理组", "Management"),
}


# How the UI languages (zh, en) name `UNASSIGNED`, on screen and in every file.
UNASSIGNED_NAMES = ("（未指派）", "(unassigned)")


def subject_label(subject_id: str, name: str, lang: str = "zh") -> str:
    """An appraisal row (a person, a team ``team:<key>`` or `UNASSIGNED`) as the UI
    language names it: the person's `name`, the team's name, or （未指派）."""
    if subject_id == UNASSIGNED:
        return UNASSIGNED_NAMES[0 if lang == "zh" else 1]
    if subject_id.startswith(TEAM_PREFIX):
        return team_label(subject_id, lang)
    return name


def team_label(team: str | None, lang: str = "zh") -> str:
    """A team key (``patrol`` or ``team:patrol``) as the UI language names it; '' for none.
    Team names never reach a screen or a file in any other way."""
    if not team:
        return ""
    name = team.removeprefix(TEAM_PREFIX)
    words = TEAM_NAMES.get(name)
    return name if words is None else words[0 if lang == "zh" else 1]


# -- settings ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AppraisalSettings:
    """A company's scheme: KPI weights (points), targets (shares), deductions."""

    weights: Mapping[str, float]
    targets: Mapping[str, float]
    points_per_percent: float = 2.0  # off a KPI's weight per percentage point below target
    fraud_deduction: float = 10.0  # per confirmed fraud flag
    reopen_deduction: float = 2.0  # per reopened rectification


DEFAULT_SETTINGS = AppraisalSettings(
    weights={"coverage": 40, "punctuality": 30, "pass_rate": 20, "rectification_on_time": 10},
    targets={
        "coverage": 0.95,
        "punctuality": 0.90,
        "pass_rate": 0.90,
        "rectification_on_time": 0.90,
    },
)


def settings_to_dict(s: AppraisalSettings) -> dict[str, Any]:
    return {
        "weights": dict(s.weights),
        "targets": dict(s.targets),
        "points_per_percent": s.points_per_percent,
        "fraud_deduction": s.fraud_deduction,
        "reopen_deduction": s.reopen_deduction,
    }


def _number(value: object, name: str, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
        raise ValueError(f"{name} must be a number from {lo:g} to {hi:g}")
    return float(value)


def settings_from_dict(
    d: Mapping[str, Any], base: AppraisalSettings = DEFAULT_SETTINGS
) -> AppraisalSettings:
    """Settings from (possibly partial) JSON over `base`; raises ValueError when a value is
    out of bounds. Weights are 0–100 points and must add up to 100; targets are 0–1."""
    if not isinstance(d, Mapping):
        raise ValueError("settings must be an object")
    unknown = set(d) - {
        "weights",
        "targets",
        "points_per_percent",
        "fraud_deduction",
        "reopen_deduction",
    }
    if unknown:
        raise ValueError(f"unknown setting {min(unknown)[:30]!r}")
    weights, targets = dict(base.weights), dict(base.targets)
    for name, into, hi in (("weights", weights, 100.0), ("targets", targets, 1.0)):
        given = d.get(name, {})
        if not isinstance(given, Mapping) or set(given) - set(KPIS):
            raise ValueError(f"{name} must map some of {', '.join(KPIS)} to numbers")
        for kpi, value in given.items():
            into[kpi] = _number(value, f"{name}.{kpi}", 0.0, hi)
    if abs(sum(weights.values()) - 100) > 1e-6:
        raise ValueError("weights must add up to 100")
    return AppraisalSettings(
        weights,
        targets,
        _number(d.get("points_per_percent", base.points_per_percent), "points_per_percent", 0, 100),
        _number(d.get("fraud_deduction", base.fraud_deduction), "fraud_deduction", 0, 100),
        _number(d.get("reopen_deduction", base.reopen_deduction), "reopen_deduction", 0, 100),
    )


# Site settings name two KPIs in their own words (domain.admin.DEFAULT_WEIGHTS).
SITE_WEIGHT_NAMES: Mapping[str, str] = {
    "inspection": "pass_rate",
    "rectification": "rectification_on_time",
}


def scheme_for_site(
    company: AppraisalSettings, site_weights: Mapping[str, float] | None
) -> AppraisalSettings:
    """The scheme a site's appraisal is scored by. Rule: the company sets the scheme
    (weights, targets, deductions); a site that has set its own KPI weights (site settings'
    ``appraisal_weights``, whole points adding up to 100) is scored with those weights and
    the company's targets and deductions — sites weigh the same KPIs differently (a site
    with no cleaning contract puts nothing on pass rate), but what counts as on target and
    what a fraud costs is company policy. Weights that do not name every KPI or do not add
    up to 100 are ignored (the company's apply)."""
    given = {SITE_WEIGHT_NAMES.get(k, k): v for k, v in (site_weights or {}).items()}
    if set(given) != set(KPIS):
        return company
    try:
        weights = {k: _number(given[k], f"weights.{k}", 0.0, 100.0) for k in KPIS}
    except ValueError:
        return company
    if abs(sum(weights.values()) - 100) > 1e-6:
        return company
    return AppraisalSettings(
        weights,
        company.targets,
        company.points_per_percent,
        company.fraud_deduction,
        company.reopen_deduction,
    )


# -- facts -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AttributedVisit:
    visit: Visit
    responsible: str | None
    basis: str  # handed_over / walker / rostered / rostered_team / scanner / nobody


@dataclass(frozen=True, slots=True)
class InspectionFact:
    id: str
    point_id: str
    inspector_id: str
    at: datetime
    results: Mapping[str, str]
    responsible: str | None  # who answers for the area (`area_owner`)


@dataclass(frozen=True, slots=True)
class RectFact:
    id: str
    point_id: str
    item: str
    opened_at: datetime
    deadline: datetime
    assignee_id: str | None
    fixed_by: str | None
    state: str  # open / fixed / closed
    overdue: bool
    reopened: int
    closed_at: datetime | None

    @property
    def responsible(self) -> str | None:
        return self.assignee_id or self.fixed_by

    @property
    def decided(self) -> bool:
        return self.state == "closed" or self.overdue

    @property
    def on_time(self) -> bool:
        return self.state == "closed" and not self.overdue


@dataclass(frozen=True, slots=True)
class AnomalyFact:
    id: str
    user_id: str
    at: datetime
    category: str
    point_id: str | None
    closed_at: datetime | None = None  # its ticket's (last) close, if closed now
    hours_to_close: float | None = None
    status: str = "open"  # its ticket's status
    closed_by: str | None = None


@dataclass(frozen=True, slots=True)
class FraudFact:
    record_id: str
    user_id: str  # whose record it was
    at: datetime
    flags: tuple[str, ...]
    reviewer_id: str
    reason: str


@dataclass(slots=True)
class AppraisalInputs:
    visits: list[AttributedVisit] = field(default_factory=list)
    inspections: list[InspectionFact] = field(default_factory=list)
    rectifications: list[RectFact] = field(default_factory=list)
    anomalies: list[AnomalyFact] = field(default_factory=list)
    frauds: list[FraudFact] = field(default_factory=list)


def schedule_in_force(versions: Iterable[Schedule], at: datetime) -> Schedule | None:
    """The version of one schedule in force at `at`."""
    found: Schedule | None = None
    for s in versions:
        in_force = s.effective_from <= at and (s.effective_to is None or at < s.effective_to)
        if in_force and (found is None or s.effective_from > found.effective_from):
            found = s
    return found


def schedule_owner(versions: Iterable[Schedule], at: datetime) -> str | None:
    """The responsible person of the version of one schedule in force at `at`."""
    found = schedule_in_force(versions, at)
    return found.responsible_user_id if found else None


def attribute(coverage: Coverage, schedules: Iterable[Schedule]) -> list[AttributedVisit]:
    """Each visit with who answers for it (rules 1–4 above); the roster is the
    `responsible_user_id` of the schedule version in force at the visit's due time."""
    facts = {r.key: r.fact for r in coverage.rounds if r.fact is not None}
    versions: dict[str, list[Schedule]] = defaultdict(list)
    for s in schedules:
        versions[s.id].append(s)
    out = []
    for visit in coverage.visits:
        fact = facts.get(visit.round_key)
        roster = schedule_in_force(versions.get(visit.schedule_id, ()), visit.due)
        rostered = roster.responsible_user_id if roster else None
        team = roster.responsible_team if roster else ""
        if fact is not None and fact.for_user_id:
            who, basis = fact.for_user_id, "handed_over"
        elif fact is not None:
            who, basis = fact.user_id, "walker"
        elif rostered:
            who, basis = rostered, "rostered"
        elif team:
            who, basis = f"{TEAM_PREFIX}{team}", "rostered_team"
        elif visit.scan is not None:
            who, basis = visit.scan.user_id, "scanner"
        else:
            who, basis = None, "nobody"
        out.append(AttributedVisit(visit, who, basis))
    return out


def area_owner(schedules: Iterable[Schedule], point_id: str, at: datetime) -> str | None:
    """Who answers for a cleaning area at `at`: the responsible person of the area's
    schedule in force then (the latest one to start, when several are)."""
    found: tuple[datetime, str] | None = None
    for s in schedules:
        if s.target_kind is not TargetKind.AREA or s.target_id != point_id:
            continue
        if not s.responsible_user_id or s.effective_from > at:
            continue
        if s.effective_to is not None and s.effective_to <= at:
            continue
        if found is None or s.effective_from > found[0]:
            found = (s.effective_from, s.responsible_user_id)
    return found[1] if found else None


# -- figures -----------------------------------------------------------------------------


@dataclass(slots=True)
class Figures:
    """One person's (or team's) month."""

    visits: Tally = field(default_factory=Tally)
    items_passed: int = 0
    items_applicable: int = 0
    inspections: int = 0  # inspections of areas they answer for
    rectifications: int = 0
    rect_decided: int = 0
    rect_on_time: int = 0
    rect_open: int = 0
    reopened: int = 0
    anomalies: int = 0
    anomalies_closed: int = 0
    anomaly_hours: float = 0.0  # summed time to close of the closed ones
    fraud_confirmed: int = 0

    @property
    def coverage(self) -> float | None:
        return self.visits.coverage

    @property
    def punctuality(self) -> float | None:
        return self.visits.punctuality

    @property
    def pass_rate(self) -> float | None:
        return self.items_passed / self.items_applicable if self.items_applicable else None

    @property
    def rectification_on_time(self) -> float | None:
        return self.rect_on_time / self.rect_decided if self.rect_decided else None

    @property
    def anomaly_hours_to_close(self) -> float | None:
        """Mean hours from report to close of the anomalies closed."""
        if not self.anomalies_closed:
            return None
        return round(self.anomaly_hours / self.anomalies_closed, 2)

    def kpi(self, name: str) -> float | None:
        value: float | None = getattr(self, name)
        return value

    def merge(self, other: Figures) -> None:
        for name in ("expected", "on_time", "late", "early", "missed", "upcoming"):
            setattr(self.visits, name, getattr(self.visits, name) + getattr(other.visits, name))
        for name in (
            "items_passed",
            "items_applicable",
            "inspections",
            "rectifications",
            "rect_decided",
            "rect_on_time",
            "rect_open",
            "reopened",
            "anomalies",
            "anomalies_closed",
            "anomaly_hours",
            "fraud_confirmed",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, Any]:
        return {
            "visits": self.visits.as_dict(),
            "coverage": self.coverage,
            "punctuality": self.punctuality,
            "inspections": self.inspections,
            "items_passed": self.items_passed,
            "items_applicable": self.items_applicable,
            "pass_rate": self.pass_rate,
            "rectifications": self.rectifications,
            "rectifications_decided": self.rect_decided,
            "rectifications_on_time": self.rect_on_time,
            "rectifications_open": self.rect_open,
            "rectification_on_time": self.rectification_on_time,
            "reopened": self.reopened,
            "anomalies_reported": self.anomalies,
            "anomalies_closed": self.anomalies_closed,
            "anomaly_hours_to_close": self.anomaly_hours_to_close,
            "fraud_confirmed": self.fraud_confirmed,
        }


@dataclass(frozen=True, slots=True)
class Score:
    total: float
    parts: dict[str, dict[str, float | None]]  # kpi -> value, target, weight, earned
    deductions: dict[str, float]

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, "parts": self.parts, "deductions": self.deductions}


def score(figures: Figures, settings: AppraisalSettings) -> Score:
    """The weighted score out of 100 (see the module's rules)."""
    parts: dict[str, dict[str, float | None]] = {}
    earned_sum = weight_sum = 0.0
    for kpi in KPIS:
        weight = float(settings.weights.get(kpi, 0))
        target = float(settings.targets.get(kpi, 0))
        value = figures.kpi(kpi)
        earned: float | None = None
        if value is not None and weight > 0:
            below = max(0.0, (target - value) * 100)
            earned = max(0.0, weight - settings.points_per_percent * below)
            earned_sum += earned
            weight_sum += weight
        parts[kpi] = {"value": value, "target": target, "weight": weight, "earned": earned}
    base = 100.0 * earned_sum / weight_sum if weight_sum else 100.0
    deductions = {
        "fraud_confirmed": figures.fraud_confirmed * settings.fraud_deduction,
        "reopened": figures.reopened * settings.reopen_deduction,
    }
    total = max(0.0, base - sum(deductions.values()))
    return Score(round(total, 2), parts, deductions)


@dataclass(slots=True)
class Appraisal:
    people: dict[str, Figures]
    teams: dict[str, Figures]


def _who(person: str | None) -> str:
    return person or UNASSIGNED


def appraise(inputs: AppraisalInputs, teams: Mapping[str, str]) -> Appraisal:
    """Figures per person (and `UNASSIGNED`), and per team (`teams` maps a person to a
    team; people with no team, and the unassigned, are summed under their own key)."""
    people: dict[str, Figures] = defaultdict(Figures)
    for av in inputs.visits:
        people[_who(av.responsible)].visits.add(av.visit.status)
    for ins in inputs.inspections:
        f = people[_who(ins.responsible)]
        f.inspections += 1
        applicable = [r for r in ins.results.values() if r != ItemResult.NA]
        f.items_applicable += len(applicable)
        f.items_passed += sum(1 for r in applicable if r == ItemResult.PASS)
    for rect in inputs.rectifications:
        f = people[_who(rect.responsible)]
        f.rectifications += 1
        f.rect_decided += rect.decided
        f.rect_on_time += rect.on_time
        f.rect_open += rect.state != "closed"
        f.reopened += rect.reopened
    for anomaly in inputs.anomalies:
        f = people[anomaly.user_id]
        f.anomalies += 1
        if anomaly.closed_at is not None:
            f.anomalies_closed += 1
            f.anomaly_hours += anomaly.hours_to_close or 0.0
    for fraud in inputs.frauds:
        people[fraud.user_id].fraud_confirmed += 1
    team_figures: dict[str, Figures] = defaultdict(Figures)
    for person, figures in people.items():
        team_figures[teams.get(person, person)].merge(figures)
    return Appraisal(dict(sorted(people.items())), dict(sorted(team_figures.items())))


def _visit_json(av: AttributedVisit) -> dict[str, Any]:
    v = av.visit
    return {
        "kind": "visit",
        "point_id": v.point_id,
        "route_id": v.route_id,
        "schedule_id": v.schedule_id,
        "round_key": v.round_key,
        "due": v.due.isoformat(),
        "status": v.status.value,
        "scan_id": v.scan.id if v.scan else None,
        "scanned_by": v.scan.user_id if v.scan else None,
        "scanned_at": v.scan.device_time.isoformat() if v.scan else None,
        "responsible": av.responsible,
        "basis": av.basis,
    }


def _rect_json(r: RectFact) -> dict[str, Any]:
    return {
        "kind": "rectification",
        "id": r.id,
        "point_id": r.point_id,
        "item": r.item,
        "opened_at": r.opened_at.isoformat(),
        "deadline": r.deadline.isoformat(),
        "state": r.state,
        "overdue": r.overdue,
        "on_time": r.on_time,
        "reopened": r.reopened,
        "assignee_id": r.assignee_id,
        "fixed_by": r.fixed_by,
    }


def evidence(
    inputs: AppraisalInputs,
    person: str,
    figure: str,
    members: Iterable[str] | None = None,
) -> list[dict[str, Any]]:
    """The facts behind one figure of `person` (or of a team: pass its `members`), in the
    order they happened. Raises ValueError for a figure not in `FIGURES`."""
    if figure not in FIGURES:
        raise ValueError(f"figure must be one of {', '.join(FIGURES)}")
    who = set(members) if members is not None else {person}

    def mine(user: str | None) -> bool:
        return _who(user) in who

    if figure in ("visits", "coverage", "punctuality"):
        chosen = [av for av in inputs.visits if mine(av.responsible)]
        if figure == "coverage":
            chosen = [av for av in chosen if av.visit.status is not VisitStatus.UPCOMING]
        elif figure == "punctuality":
            chosen = [av for av in chosen if av.visit.scan is not None]
        chosen.sort(key=lambda av: (av.visit.due, av.visit.seq))
        return [_visit_json(av) for av in chosen]
    if figure == "pass_rate":
        return [
            {
                "kind": "inspection",
                "id": i.id,
                "point_id": i.point_id,
                "inspector_id": i.inspector_id,
                "at": i.at.isoformat(),
                "passed": sum(1 for r in i.results.values() if r == ItemResult.PASS),
                "applicable": sum(1 for r in i.results.values() if r != ItemResult.NA),
                "failed_items": sorted(k for k, r in i.results.items() if r == ItemResult.FAIL),
                "responsible": i.responsible,
            }
            for i in sorted(inputs.inspections, key=lambda i: i.at)
            if mine(i.responsible)
        ]
    if figure in ("rectifications", "rectification_on_time", "reopened"):
        rects = [r for r in inputs.rectifications if mine(r.responsible)]
        if figure == "rectification_on_time":
            rects = [r for r in rects if r.decided]
        elif figure == "reopened":
            rects = [r for r in rects if r.reopened]
        return [_rect_json(r) for r in sorted(rects, key=lambda r: r.opened_at)]
    if figure in ("anomalies", "anomalies_closed"):
        return [
            {
                "kind": "anomaly",
                "id": a.id,
                "at": a.at.isoformat(),
                "category": a.category,
                "point_id": a.point_id,
                "status": a.status,
                "closed_at": a.closed_at.isoformat() if a.closed_at else None,
                "closed_by": a.closed_by,
                "hours_to_close": a.hours_to_close,
            }
            for a in sorted(inputs.anomalies, key=lambda a: a.at)
            if mine(a.user_id) and (figure == "anomalies" or a.closed_at is not None)
        ]
    return [
        {
            "kind": "review",
            "record_id": f.record_id,
            "at": f.at.isoformat(),
            "flags": list(f.flags),
            "reviewer_id": f.reviewer_id,
            "reason": f.reason,
        }
        for f in sorted(inputs.frauds, key=lambda f: f.at)
        if mine(f.user_id)
    ]
