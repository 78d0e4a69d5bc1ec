"""The managers' utilization page: a date-range form, heatmaps, a table and the CSV link.

A console page like the others (its layout, navigation and clinic picker). Server-rendered,
no JavaScript: the form is a GET, the pictures are inline SVG drawn by ``svg.py``, and the
CSV link points at the API endpoint (which accepts the same browser session).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from django import forms
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone

from backend.common.errors import InvalidInput
from backend.console.access import action_required
from backend.console.roles import can
from backend.console.site import clinic_choices, current_clinic, page
from backend.console.svg import Heatmap, heatmap_svg, legend_svg, percent
from backend.scheduling.reports.services import UtilizationResult, utilization_report
from backend.scheduling.reports.utilization import (
    DAY,
    DEFINITIONS,
    HOURS,
    MAX_DAYS,
    WEEK,
    HourGrid,
    PeriodUsage,
    Usage,
)
from backend.scheduling.resources.models import Clinic

DEFAULT_WEEKS = 4
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TEMPLATE = "console/reports/utilization.html"
FORBIDDEN_TEMPLATE = "console/reports/forbidden.html"


def default_range(today: date) -> tuple[date, date]:
    """The last four full weeks (Monday to Sunday) before the current one."""
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(weeks=DEFAULT_WEEKS), monday - timedelta(days=1)


class UtilizationForm(forms.Form):
    clinic = forms.TypedChoiceField(coerce=int, choices=())
    date_from = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))
    granularity = forms.ChoiceField(
        label="Periods", choices=((DAY, "Days"), (WEEK, "Weeks (Mon-Sun)")), initial=DAY
    )

    def __init__(self, *args, clinics: list[Clinic], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clinic"].choices = [(c.id, c.name) for c in clinics]

    def clean(self):
        data = super().clean()
        date_from, date_to = data.get("date_from"), data.get("date_to")
        if date_from and date_to:
            if date_to < date_from:
                self.add_error("date_to", "The range must not end before it starts.")
            elif (date_to - date_from).days + 1 > MAX_DAYS:
                self.add_error("date_to", f"Choose at most {MAX_DAYS} days.")
        return data


def _form_data(request: HttpRequest, clinic: Clinic) -> dict[str, str]:
    """The query, with ``clinic`` and the last four full weeks filled in if missing."""
    data = {key: request.GET.get(key, "") for key in ("clinic", "date_from", "date_to")}
    data["granularity"] = request.GET.get("granularity") or DAY
    data["clinic"] = data["clinic"] or str(clinic.id)
    first, last = default_range(timezone.now().astimezone(clinic.zone).date())
    data["date_from"] = data["date_from"] or first.isoformat()
    data["date_to"] = data["date_to"] or last.isoformat()
    return data


# --- What the template shows ----------------------------------------------------------------


def share(value: float | None, digits: int = 1) -> str:
    """A ratio as a percentage for people ("72.4%"), a dash where there is none."""
    return "\u2013" if value is None else f"{value * 100:.{digits}f}%"


@dataclass(frozen=True)
class Row:
    """One line of a table: a room, all rooms, or a period, with its numbers."""

    name: str
    usage: Usage
    kind: str = ""
    capacity: int | None = None
    opening_minutes: int | None = None
    tooltip: str = ""
    is_total: bool = False

    @property
    def minutes(self) -> dict[str, str]:
        """Seat-minute counts with thousands separators."""
        usage = self.usage
        return {
            "available": _minutes(usage.available_seat_minutes),
            "session": _minutes(usage.session_seat_minutes),
            "recovery": _minutes(usage.recovery_seat_minutes),
            "no_show": _minutes(usage.no_show_seat_minutes),
            "opening": _minutes(self.opening_minutes or 0),
        }

    @property
    def utilization(self) -> str:
        return share(self.usage.utilization)

    @property
    def recovery_share(self) -> str:
        return share(self.usage.recovery_share)


def _minutes(value: int) -> str:
    return f"{value:,}"


def _period_name(entry: PeriodUsage) -> str:
    period = entry.period
    if period.start == period.end:
        return period.start.strftime("%a %Y-%m-%d")
    return f"{period.label} ({period.start:%b %-d}-{period.end:%b %-d})"


def _period_tooltip(name: str, entry: PeriodUsage) -> str:
    usage, period = entry.usage, entry.period
    when = period.label if period.start == period.end else f"{period.start} to {period.end}"
    if not usage.available_seat_minutes:
        return f"{name}, {when}: closed"
    return (
        f"{name}, {when}: {percent(usage.utilization)} in use "
        f"({_minutes(usage.used_seat_minutes)} of {_minutes(usage.available_seat_minutes)} "
        f"seat-minutes; recovery {percent(usage.recovery_share or 0)}, "
        f"no-show {_minutes(usage.no_show_seat_minutes)}, peak {usage.peak_concurrency} seats)"
    )


def _period_labels(entries: tuple[PeriodUsage, ...], granularity: str) -> list[str]:
    if granularity == WEEK:
        return [f"W{e.period.start.isocalendar()[1]}" for e in entries]
    if len(entries) <= 14:
        return [e.period.start.strftime("%a %-d") for e in entries]
    # Long ranges: label the first day and every Monday.
    return [
        e.period.start.strftime("%b %-d") if i == 0 or e.period.start.weekday() == 0 else ""
        for i, e in enumerate(entries)
    ]


def rooms_heatmap(result: UtilizationResult) -> Heatmap:
    """Rooms (and all rooms) x periods, coloured by utilization."""
    report = result.report
    lines = [(r.room.name, r.periods) for r in report.rooms]
    lines.append(("All rooms", report.total_periods))
    labels = _period_labels(report.total_periods, report.granularity)
    wide = report.granularity == DAY and len(labels) > 31
    return Heatmap(
        values=[[e.usage.utilization for e in periods] for _, periods in lines],
        row_labels=[name for name, _ in lines],
        column_labels=labels,
        tooltips=[[_period_tooltip(name, e) for e in periods] for name, periods in lines],
        title=f"Utilization by room and {'day' if report.granularity == DAY else 'week'}",
        description=(
            f"{report.date_from} to {report.date_to}, {report.tz}. Darker is fuller; grey "
            "periods had no opening hours."
        ),
        id_prefix="rooms-by-period",
        cell_width=16 if wide else (26 if report.granularity == DAY else 44),
        show_values=not wide,
    )


def _open_hours(grid: HourGrid) -> list[int]:
    """The local hours from the first to the last that is ever open (at least 08-18)."""
    open_hours = [h for h in HOURS if any(grid.available[d][h] for d in range(7))]
    if not open_hours:
        return list(range(8, 18))
    return list(range(min(open_hours), max(open_hours) + 1))


def hour_heatmap(grid: HourGrid, name: str, id_prefix: str, tz: str) -> Heatmap:
    """Weekday x local hour of the day, coloured by utilization over the range."""
    hours = _open_hours(grid)
    tooltips = []
    for day in range(7):
        row = []
        for hour in hours:
            used, available = grid.used[day][hour], grid.available[day][hour]
            when = f"{WEEKDAY_NAMES[day]} {hour:02d}:00-{hour + 1:02d}:00"
            row.append(
                f"{name}, {when}: closed"
                if not available
                else f"{name}, {when}: {percent(used / available)} in use "
                f"({_minutes(used)} of {_minutes(available)} seat-minutes)"
            )
        tooltips.append(row)
    return Heatmap(
        values=[[grid.utilization(day, hour) for hour in hours] for day in range(7)],
        row_labels=list(WEEKDAY_NAMES),
        column_labels=[f"{hour:02d}" for hour in hours],
        tooltips=tooltips,
        title=f"{name}: utilization by weekday and hour",
        description=f"Local hours in {tz}; grey cells are never open in the range.",
        id_prefix=id_prefix,
        label_width=90,
    )


@dataclass(frozen=True)
class MonitoringSummary:
    """The report's monitor load in words for the page."""

    ratio: int
    peak_recovering: int
    monitors_at_peak: int
    per_monitor: str  # "1.5", or "no nurse" when patients recovered unwatched
    over_ratio: bool


def monitoring_summary(result: UtilizationResult) -> MonitoringSummary | None:
    load = result.monitoring
    if load is None:
        return None
    per_monitor = load.peak_recovering_per_monitor
    if per_monitor is None:
        shown = "\u2013"
    elif load.monitors_at_peak == 0:
        shown = "no nurse"
    else:
        shown = f"{per_monitor:.2f}".rstrip("0").rstrip(".")
    return MonitoringSummary(
        ratio=load.recovering_per_monitor,
        peak_recovering=load.peak_recovering,
        monitors_at_peak=load.monitors_at_peak,
        per_monitor=shown,
        over_ratio=per_monitor is not None and per_monitor > load.recovering_per_monitor,
    )


def _context(result: UtilizationResult, query: dict) -> dict:
    report = result.report
    total = report.total
    rows = [
        Row(r.room.name, r.usage, kind=r.room.kind.capitalize(), capacity=r.room.capacity)
        for r in report.rooms
    ]
    capacity = sum(r.room.capacity for r in report.rooms)
    rows.append(Row("All rooms", total, capacity=capacity, is_total=True))
    api_url = reverse("utilization-report")
    params = urlencode(query)
    return {
        "result": result,
        "report": report,
        "summary": [
            (share(total.utilization, 0), "utilization, all rooms"),
            (share(total.recovery_share, 0), "of used chair time is recovery"),
            (_minutes(total.no_show_seat_minutes), "seat-minutes lost to no-shows"),
            (str(total.peak_concurrency), "most seats in use at once"),
        ],
        "rows": rows,
        "monitoring": monitoring_summary(result),
        "period_rows": [
            Row(
                _period_name(entry),
                entry.usage,
                opening_minutes=entry.period.opening_minutes,
                tooltip=_period_tooltip("All rooms", entry),
            )
            for entry in report.total_periods
        ],
        "rooms_svg": heatmap_svg(rooms_heatmap(result)),
        "hours_svg": heatmap_svg(hour_heatmap(report.grid, "All rooms", "hours-all", report.tz)),
        "room_hour_svgs": [
            heatmap_svg(hour_heatmap(room.grid, room.room.name, f"hours-{i}", report.tz))
            for i, room in enumerate(report.rooms)
        ],
        "legend_svg": legend_svg(),
        "csv_url": f"{api_url}?{params}&format=csv",
        "json_url": f"{api_url}?{params}",
    }


@action_required("utilization", forbidden_template=FORBIDDEN_TEMPLATE)
def utilization_page(request: HttpRequest) -> HttpResponse:
    # The clinic asked for (``?clinic=``, which the console then remembers), else the one
    # the console shows.
    clinic = current_clinic(request)
    context: dict = {"nav": "utilization", "definitions": DEFINITIONS, "max_days": MAX_DAYS}
    if clinic is None:
        return page(request, TEMPLATE, context)
    # Only the clinics where the user is a manager can be reported on.
    managed = [c for c in clinic_choices(request) if can(request.user, "utilization", c.id)]
    if managed and clinic not in managed:
        clinic = managed[0]
    form = UtilizationForm(_form_data(request, clinic), clinics=managed)
    context["form"] = form
    if form.is_valid():
        query = form.cleaned_data
        try:
            result = utilization_report(
                clinic_id=query["clinic"],
                date_from=query["date_from"],
                date_to=query["date_to"],
                granularity=query["granularity"],
            )
        except InvalidInput as error:
            for field, messages in error.errors.items():
                form.add_error(field if field in form.fields else None, messages)
        else:
            clinic = result.clinic
            context.update(
                _context(
                    result,
                    {
                        "clinic": query["clinic"],
                        "date_from": query["date_from"].isoformat(),
                        "date_to": query["date_to"].isoformat(),
                        "granularity": query["granularity"],
                    },
                )
            )
    return page(request, TEMPLATE, context, clinic=clinic)
