"""Utilization report: the query, the response shape (for the schema) and its rendering.

The response is built by ``utilization_data`` as plain dicts: a year of daily periods for
ten rooms is ~4,000 objects, which DRF field-by-field serialization would make the slowest
part of the request. The serializers below describe exactly that shape for the OpenAPI
schema, and a test keeps the two in step.
"""

import csv
import io
from datetime import date
from typing import Any

from rest_framework import serializers
from rest_framework.renderers import BaseRenderer

from backend.common.roles import REPORT_ROLES
from backend.common.serializers import ScopedPrimaryKeyRelatedField
from backend.scheduling.reports.services import UtilizationResult
from backend.scheduling.reports.utilization import (
    DEFINITIONS,
    GRANULARITIES,
    HOURS,
    MAX_DAYS,
    HourGrid,
    PeriodUsage,
    Usage,
)
from backend.scheduling.resources.models import Clinic

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Ratios are rounded the same way in JSON and CSV.
RATIO_DIGITS = 4


def ratio(value: float | None) -> float | None:
    return None if value is None else round(value, RATIO_DIGITS)


# --- The query ----------------------------------------------------------------------------


class UtilizationQuerySerializer(serializers.Serializer):
    clinic = ScopedPrimaryKeyRelatedField(
        queryset=Clinic.objects.all(), roles=REPORT_ROLES, help_text="The clinic's id."
    )
    date_from = serializers.DateField(help_text="First clinic-local date, inclusive.")
    date_to = serializers.DateField(
        help_text=f"Last clinic-local date, inclusive; the range covers at most {MAX_DAYS} days."
    )
    granularity = serializers.ChoiceField(
        choices=GRANULARITIES,
        default="day",
        help_text="day, or week: ISO weeks (Monday to Sunday) clipped to the range.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["date_to"] < attrs["date_from"]:
            raise serializers.ValidationError({"date_to": "Must not be before date_from."})
        if (attrs["date_to"] - attrs["date_from"]).days + 1 > MAX_DAYS:
            raise serializers.ValidationError(
                {"date_to": f"A report covers at most {MAX_DAYS} days; shorten the range."}
            )
        return attrs


# --- The response (schema) ----------------------------------------------------------------


def _count(name: str) -> serializers.IntegerField:
    return serializers.IntegerField(help_text=DEFINITIONS[name])


def _ratio(name: str) -> serializers.FloatField:
    return serializers.FloatField(
        allow_null=True, help_text=f"{DEFINITIONS[name]} Rounded to {RATIO_DIGITS} decimals."
    )


class UsageSerializer(serializers.Serializer):
    available_seat_minutes = _count("available_seat_minutes")
    session_seat_minutes = _count("session_seat_minutes")
    recovery_seat_minutes = _count("recovery_seat_minutes")
    no_show_seat_minutes = _count("no_show_seat_minutes")
    used_seat_minutes = _count("used_seat_minutes")
    utilization = _ratio("utilization")
    recovery_share = _ratio("recovery_share")
    no_show_share = _ratio("no_show_share")
    peak_concurrency = _count("peak_concurrency")


class PeriodSerializer(UsageSerializer):
    period = serializers.CharField(help_text='"2026-03-02" for a day, "2026-W10" for a week.')
    date_from = serializers.DateField(help_text="First date of the period (inclusive).")
    date_to = serializers.DateField(
        help_text="Last date of the period (inclusive); weeks are clipped to the range."
    )
    opening_minutes = serializers.IntegerField(
        help_text="Minutes the clinic was open in the period (not multiplied by seats)."
    )


class HeatmapSerializer(serializers.Serializer):
    weekdays = serializers.ListField(
        child=serializers.CharField(), help_text="Row labels: Mon..Sun (0 = Monday)."
    )
    hours = serializers.ListField(
        child=serializers.IntegerField(), help_text="Column labels: local hour 0..23."
    )
    utilization = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(allow_null=True)),
        help_text=(
            "7 x 24: used / available seat-minutes in each weekday x local-hour cell over "
            "the range; null where the clinic is never open in that cell. On the fall-back "
            "day both 01:00 hours count into hour 1; the spring-forward day has no hour 2."
        ),
    )
    used_seat_minutes = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()), help_text="7 x 24."
    )
    available_seat_minutes = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()), help_text="7 x 24."
    )


class RoomUtilizationSerializer(UsageSerializer):
    room = serializers.IntegerField(help_text="The room's id.")
    room_name = serializers.CharField()
    kind = serializers.CharField(help_text="dosing, recovery or therapy.")
    capacity = serializers.IntegerField(help_text="Active seats of the room.")
    periods = PeriodSerializer(many=True)
    heatmap = HeatmapSerializer()


class TotalsSerializer(UsageSerializer):
    capacity = serializers.IntegerField(help_text="Active seats of all rooms.")
    periods = PeriodSerializer(many=True)
    heatmap = HeatmapSerializer()


class MonitorLoadSerializer(serializers.Serializer):
    recovering_per_monitor = serializers.IntegerField(help_text="The clinic's ratio.")
    peak_recovering = serializers.IntegerField(help_text="Most patients recovering at once.")
    monitors_at_peak = serializers.IntegerField(help_text="Monitors working at that moment.")
    peak_recovering_per_monitor = serializers.FloatField(
        allow_null=True,
        help_text="The worst recovering-per-monitor moment; null when nobody recovered, "
        "and the recovering count itself when no monitor worked then.",
    )


class UtilizationReportSerializer(serializers.Serializer):
    clinic = serializers.IntegerField()
    clinic_name = serializers.CharField()
    timezone = serializers.CharField(help_text="The clinic's IANA zone: all dates and hours.")
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    granularity = serializers.ChoiceField(choices=GRANULARITIES)
    rooms = RoomUtilizationSerializer(
        many=True,
        help_text="Active rooms with at least one active seat (dosing, recovery, therapy).",
    )
    totals = TotalsSerializer(help_text="All rooms together.")
    monitoring = MonitorLoadSerializer(help_text="Monitor load: peak recovering per monitor.")


# --- Building the response ----------------------------------------------------------------


def usage_data(usage: Usage) -> dict[str, Any]:
    return {
        "available_seat_minutes": usage.available_seat_minutes,
        "session_seat_minutes": usage.session_seat_minutes,
        "recovery_seat_minutes": usage.recovery_seat_minutes,
        "no_show_seat_minutes": usage.no_show_seat_minutes,
        "used_seat_minutes": usage.used_seat_minutes,
        "utilization": ratio(usage.utilization),
        "recovery_share": ratio(usage.recovery_share),
        "no_show_share": ratio(usage.no_show_share),
        "peak_concurrency": usage.peak_concurrency,
    }


def period_data(entry: PeriodUsage) -> dict[str, Any]:
    period = entry.period
    return {
        "period": period.label,
        "date_from": period.start.isoformat(),
        "date_to": period.end.isoformat(),
        "opening_minutes": period.opening_minutes,
        **usage_data(entry.usage),
    }


def heatmap_data(grid: HourGrid) -> dict[str, Any]:
    return {
        "weekdays": list(WEEKDAY_NAMES),
        "hours": list(HOURS),
        "utilization": [[ratio(value) for value in row] for row in grid.rows()],
        "used_seat_minutes": [list(row) for row in grid.used],
        "available_seat_minutes": [list(row) for row in grid.available],
    }


def utilization_data(result: UtilizationResult) -> dict[str, Any]:
    report = result.report
    return {
        "clinic": result.clinic.id,
        "clinic_name": result.clinic.name,
        "timezone": report.tz,
        "date_from": report.date_from.isoformat(),
        "date_to": report.date_to.isoformat(),
        "granularity": report.granularity,
        "rooms": [
            {
                "room": room.room.room_id,
                "room_name": room.room.name,
                "kind": room.room.kind,
                "capacity": room.room.capacity,
                **usage_data(room.usage),
                "periods": [period_data(p) for p in room.periods],
                "heatmap": heatmap_data(room.grid),
            }
            for room in report.rooms
        ],
        "totals": {
            "capacity": sum(room.room.capacity for room in report.rooms),
            **usage_data(report.total),
            "periods": [period_data(p) for p in report.total_periods],
            "heatmap": heatmap_data(report.grid),
        },
        "monitoring": monitoring_data(result.monitoring),
    }


def monitoring_data(load) -> dict[str, Any] | None:
    if load is None:
        return None
    per_monitor = load.peak_recovering_per_monitor
    if per_monitor is not None and per_monitor == float("inf"):
        per_monitor = float(load.peak_recovering)  # JSON has no infinity
    return {
        "recovering_per_monitor": load.recovering_per_monitor,
        "peak_recovering": load.peak_recovering,
        "monitors_at_peak": load.monitors_at_peak,
        "peak_recovering_per_monitor": round(per_monitor, 2) if per_monitor is not None else None,
    }


# --- CSV ------------------------------------------------------------------------------------

MONITORING_COLUMNS = (
    "recovering_per_monitor",
    "peak_recovering",
    "monitors_at_peak",
    "peak_recovering_per_monitor",
)
CSV_COLUMNS = (
    "room",
    "room_name",
    "kind",
    "capacity",
    "period",
    "date_from",
    "date_to",
    "opening_minutes",
    "available_seat_minutes",
    "session_seat_minutes",
    "recovery_seat_minutes",
    "no_show_seat_minutes",
    "used_seat_minutes",
    "utilization",
    "recovery_share",
    "no_show_share",
    "peak_concurrency",
    # The monitor load is one clinic-wide figure over the whole range (as in JSON): it is
    # filled on the "All rooms" total row only, so the other rows keep their meaning.
    *MONITORING_COLUMNS,
)
TOTAL_PERIOD = "total"
ALL_ROOMS = "All rooms"


def _cell(value: Any) -> Any:
    # Spreadsheets run a cell starting with = + - @ as a formula: names are data, not code.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def utilization_csv_rows(data: dict[str, Any]) -> list[list[Any]]:
    """One row per room and period, a "total" row per room, then the same for all rooms;
    the all-rooms total row also carries the monitor load."""
    whole = {
        "period": TOTAL_PERIOD,
        "date_from": data["date_from"],
        "date_to": data["date_to"],
        "opening_minutes": sum(p["opening_minutes"] for p in data["totals"]["periods"]),
    }
    groups = [
        ({"room": r["room"], "room_name": r["room_name"], "kind": r["kind"]}, r)
        for r in data["rooms"]
    ]
    groups.append(({"room": "", "room_name": ALL_ROOMS, "kind": ""}, data["totals"]))
    monitoring = data.get("monitoring") or {}
    rows = []
    for identity, entry in groups:
        for period in [*entry["periods"], {**entry, **whole}]:
            row = {**identity, "capacity": entry["capacity"], **period}
            if entry is data["totals"] and period["period"] == TOTAL_PERIOD:
                row.update(monitoring)
            rows.append([_cell(row.get(column)) for column in CSV_COLUMNS])
    return rows


class UtilizationCSVRenderer(BaseRenderer):
    """``?format=csv`` (or ``Accept: text/csv``): the JSON report's numbers as rows."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        writer.writerows(utilization_csv_rows(data))
        return buffer.getvalue().encode(self.charset)


def csv_filename(clinic_id: int, date_from: date, date_to: date) -> str:
    return f"utilization-{clinic_id}-{date_from.isoformat()}-{date_to.isoformat()}.csv"
