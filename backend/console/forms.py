"""Console forms. They check shape only; every business rule stays in the services, whose
errors come back onto these forms next to the field they name."""

from datetime import datetime

from django import forms
from django.db.models import Q

from backend.console.site import LOCAL_INPUT_FORMAT, local_input, parse_local_input
from backend.plans.models import PlanTemplate
from backend.scheduling.resources.choices import AbsenceKind, RoomKind, SeatKind, StaffRole, Weekday
from backend.scheduling.resources.models import (
    Clinic,
    Patient,
    Room,
    Seat,
    SessionType,
    Staff,
)
from backend.scheduling.resources.phones import phone_display, phone_e164
from backend.scheduling.resources.serializers import PATIENT_PAST_DATES, patient_rule_errors


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs={"step": 300, **(attrs or {})}, format=LOCAL_INPUT_FORMAT)


class LocalDateTimeField(forms.Field):
    """A wall-clock date and time in the clinic's zone, cleaned to an aware datetime."""

    widget = LocalDateTimeInput
    default_error_messages = {"invalid": "Enter a date and time."}

    def __init__(self, *, zone, **kwargs):
        self.zone = zone
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, datetime):
            return local_input(value, self.zone)
        return value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value
        parsed = parse_local_input(str(value), self.zone)
        if parsed is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed


def patient_label(patient: Patient) -> str:
    screening = patient.get_screening_status_display().lower()
    rems = "REMS enrolled" if patient.rems_enrolled_on else "no REMS"
    return f"{patient.last_name}, {patient.first_name} (screening {screening}, {rems})"


class PatientChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return patient_label(obj)


class CourseForm(forms.Form):
    """Step 1 of the new-course wizard: who, which protocol, from when, and preferences."""

    patient = PatientChoiceField(queryset=Patient.objects.none(), empty_label="Choose a patient")
    template = forms.ModelChoiceField(
        queryset=PlanTemplate.objects.none(), empty_label="Choose a treatment plan", label="Plan"
    )
    start_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    weekdays = forms.TypedMultipleChoiceField(
        choices=Weekday.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Days the patient can come; none ticked means any day the clinic is open.",
    )
    earliest_time = forms.TimeField(
        required=False,
        label="Earliest start",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    latest_time = forms.TimeField(
        required=False,
        label="Latest start",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    staff = forms.ModelChoiceField(
        queryset=Staff.objects.none(),
        required=False,
        empty_label="Anyone",
        label="Preferred staff member",
    )

    def __init__(self, *args, clinic: Clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        self.fields["patient"].queryset = Patient.objects.filter(clinic=clinic, active=True)
        self.fields["template"].queryset = PlanTemplate.objects.filter(
            Q(clinic=None) | Q(clinic=clinic), active=True
        ).order_by("name")
        self.fields["staff"].queryset = Staff.objects.filter(clinic=clinic, active=True)

    def clean(self):
        data = super().clean()
        early, late = data.get("earliest_time"), data.get("latest_time")
        if early and late and late < early:
            self.add_error("latest_time", "The latest start is before the earliest start.")
        return data


class RescheduleForm(forms.Form):
    start = LocalDateTimeField(zone=None, label="New start")
    cascade = forms.BooleanField(
        required=False,
        label="Move the later sessions of the course as needed to keep its rhythm",
    )
    staff = forms.ModelChoiceField(
        queryset=Staff.objects.none(), required=False, empty_label="Keep or pick any free"
    )

    def __init__(self, *args, appointment, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["start"].zone = appointment.clinic.zone
        role = appointment.session_type.staff_role
        if role:
            self.fields["staff"].queryset = Staff.objects.filter(
                clinic_id=appointment.clinic_id, role=role, active=True
            )
        else:
            del self.fields["staff"]
        if appointment.plan_id is None:
            del self.fields["cascade"]


class CancelForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept with the appointment and in its history.",
    )


class EscortForm(forms.Form):
    name = forms.CharField(max_length=160, required=False, label="Escort name")
    phone = forms.CharField(max_length=40, required=False, label="Escort phone")


class StepForm(forms.Form):
    note = forms.CharField(max_length=2000, required=False)


class DischargeForm(forms.Form):
    # Not required here: the discharge rule refuses unticked checks with its own words.
    vitals_stable = forms.BooleanField(required=False, label="Vital signs stable")
    alert_and_oriented = forms.BooleanField(required=False, label="Alert and oriented")
    score = forms.IntegerField(
        min_value=0,
        max_value=10,
        label="Discharge score (0-10)",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    collected_by = forms.CharField(
        max_length=160,
        required=False,
        label="Collected by",
        help_text="Who takes the patient home; defaults to the escort on the appointment.",
    )
    override_reason = forms.CharField(
        max_length=2000,
        required=False,
        label="Early discharge reason",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only to discharge before the minimum monitoring time.",
    )
    notes = forms.CharField(
        max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class AbsenceForm(forms.Form):
    """Time off or an extra shift: whole days (first and last date) or a span of hours."""

    kind = forms.ChoiceField(choices=AbsenceKind.choices, label="What")
    first_day = forms.DateField(
        required=False,
        label="First day",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="For whole days: the first and last day away (both included).",
    )
    last_day = forms.DateField(
        required=False, label="Last day", widget=forms.DateInput(attrs={"type": "date"})
    )
    start = LocalDateTimeField(
        zone=None, required=False, label="From", help_text="For part of a day, or a shift."
    )
    end = LocalDateTimeField(zone=None, required=False, label="Until")
    reason = forms.CharField(max_length=200, required=False, label="Reason")

    def __init__(self, *args, zone, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["start"].zone = zone
        self.fields["end"].zone = zone

    def clean(self):
        data = super().clean()
        days = data.get("first_day"), data.get("last_day")
        times = data.get("start"), data.get("end")
        if any(days) and any(times):
            self.add_error("start", "Give whole days or a span of hours, not both.")
        elif any(days):
            if not all(days):
                missing = "last_day" if days[0] else "first_day"
                self.add_error(missing, "Give both the first and the last day.")
            elif days[1] < days[0]:
                self.add_error("last_day", "The last day is before the first.")
        elif any(times):
            if not all(times):
                self.add_error("end" if times[0] else "start", "Give both the start and the end.")
            elif times[1] <= times[0]:
                self.add_error("end", "The end must be after the start.")
        elif not self.errors:
            self.add_error("first_day", "Give the days away, or the hours.")
        return data


class PatientForm(forms.ModelForm):
    """Register or edit a patient, with the API's rules: E.164 phones, eligibility dates.

    ``save_anyway`` is shown only once a possible duplicate (same name and date of birth)
    has been put in front of the user.
    """

    save_anyway = forms.BooleanField(
        required=False,
        label="This is a different person: save anyway",
    )

    class Meta:
        model = Patient
        fields = [
            "first_name",
            "last_name",
            "date_of_birth",
            "phone",
            "email",
            "email_consent",
            "sms_consent",
            "preferred_channel",
            "escort_name",
            "escort_phone",
            "screening_status",
            "screening_date",
            "rems_enrolled_on",
        ]
        labels = {
            "email_consent": "May be emailed reminders and messages",
            "sms_consent": "Agreed to text messages (SMS)",
            "preferred_channel": "Preferred channel for reminders and offers",
            "rems_enrolled_on": "REMS enrollment date",
            "escort_name": "Escort name",
            "escort_phone": "Escort phone",
        }
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "screening_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "rems_enrolled_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
            "escort_phone": forms.TextInput(attrs={"type": "tel"}),
        }

    def __init__(self, *args, clinic: Clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        self.instance.clinic = clinic
        self.fields["phone"].help_text = "Any usual spelling; stored as +1 212 555 0142."
        if self.instance.pk and self.instance.phone:
            self.initial.setdefault("phone", phone_display(self.instance.phone))
        if self.instance.pk and self.instance.escort_phone:
            self.initial.setdefault("escort_phone", phone_display(self.instance.escort_phone))

    def _phone(self, name: str) -> str:
        try:
            return phone_e164(self.cleaned_data.get(name, ""))
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_phone(self) -> str:
        return self._phone("phone")

    def clean_escort_phone(self) -> str:
        return self._phone("escort_phone")

    def clean(self):
        data = super().clean()
        changed = [name for name in PATIENT_PAST_DATES if name in self.changed_data]
        errors = patient_rule_errors(
            clinic=self.clinic,
            screening_status=data.get("screening_status"),
            screening_date=data.get("screening_date"),
            new_dates={name: data.get(name) for name in changed},
        )
        for name, messages in errors.items():
            for message in messages:
                self.add_error(name, message)
        return data


class PatientLookupForm(forms.Form):
    q = forms.CharField(
        label="Find a patient",
        required=False,
        max_length=120,
        help_text="A name, a date of birth (YYYY-MM-DD) or a phone number.",
    )
    inactive = forms.BooleanField(required=False, label="Include inactive patients")


class VisitForm(forms.Form):
    """A one-off visit: who, what, when (a start offered by availability, or typed), and
    who brings them home. Booking rules are the booking service's."""

    patient = PatientChoiceField(queryset=Patient.objects.none(), empty_label="Choose a patient")
    session_type = forms.ModelChoiceField(
        queryset=SessionType.objects.none(), empty_label="Choose a session type", label="Session"
    )
    start = LocalDateTimeField(zone=None, label="Start", required=False)
    seat = forms.ModelChoiceField(
        queryset=Seat.objects.none(), required=False, empty_label="Any free seat", label="Seat"
    )
    staff = forms.ModelChoiceField(
        queryset=Staff.objects.none(), required=False, empty_label="Any free staff member"
    )
    escort_name = forms.CharField(max_length=160, required=False, label="Escort name")
    escort_phone = forms.CharField(max_length=40, required=False, label="Escort phone")

    def __init__(self, *args, clinic: Clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        self.fields["start"].zone = clinic.zone
        self.fields["patient"].queryset = Patient.objects.filter(clinic=clinic, active=True)
        self.fields["session_type"].queryset = SessionType.objects.filter(
            Q(clinic=None) | Q(clinic=clinic), active=True
        ).order_by("name")
        self.fields["seat"].queryset = Seat.objects.filter(
            room__clinic=clinic, active=True, room__active=True
        ).select_related("room")
        self.fields["staff"].queryset = Staff.objects.filter(clinic=clinic, active=True)

    def clean_escort_phone(self) -> str:
        try:
            return phone_e164(self.cleaned_data.get("escort_phone", ""))
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc


class WeeklyHoursForm(forms.Form):
    """Up to two windows per weekday (a lunch break); empty: closed or not working.

    ``windows`` maps a weekday to its stored (start, end) pairs in order. Stored hours
    with more windows than the form holds are refused up front (``too_many``), so saving
    the form can never drop one silently.
    """

    SLOTS = ("", "2")

    def __init__(self, *args, windows: dict[int, list[tuple]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        windows = windows or {}
        self.too_many = [
            name for weekday, name in Weekday.choices if len(windows.get(weekday, [])) > 2
        ]
        for weekday, name in Weekday.choices:
            stored = list(windows.get(weekday, []))[:2]
            for index, slot in enumerate(self.SLOTS):
                opens, closes = stored[index] if index < len(stored) else (None, None)
                which = " (second window)" if slot else ""
                for key, label, value in (("from", "from", opens), ("to", "until", closes)):
                    self.fields[f"{key}{slot}_{weekday}"] = forms.TimeField(
                        required=False,
                        label=f"{name}{which} {label}",
                        initial=value,
                        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                    )

    def rows(self):
        return [
            (
                name,
                self[f"from_{weekday}"],
                self[f"to_{weekday}"],
                self[f"from2_{weekday}"],
                self[f"to2_{weekday}"],
            )
            for weekday, name in Weekday.choices
        ]

    def _pairs(self, weekday: int):
        data = self.cleaned_data
        for slot in self.SLOTS:
            yield slot, data.get(f"from{slot}_{weekday}"), data.get(f"to{slot}_{weekday}")

    def clean(self):
        data = super().clean()
        for weekday, _ in Weekday.choices:
            for slot, start, end in self._pairs(weekday):
                if (start is None) != (end is None):
                    self.add_error(f"to{slot}_{weekday}", "Give both times, or neither.")
                elif start is not None and end <= start:
                    self.add_error(f"to{slot}_{weekday}", "Must be after the start.")
        return data

    def windows(self, start_key: str, end_key: str) -> list[dict]:
        return [
            {
                "weekday": weekday,
                start_key: start.strftime("%H:%M"),
                end_key: end.strftime("%H:%M"),
            }
            for weekday, _ in Weekday.choices
            for _, start, end in self._pairs(weekday)
            if start is not None and end is not None
        ]


class ClosureForm(forms.Form):
    start_date = forms.DateField(label="First day", widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(label="Last day", widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(max_length=200, required=False, label="Reason")

    def clean(self):
        data = super().clean()
        if (
            data.get("start_date")
            and data.get("end_date")
            and data["end_date"] < data["start_date"]
        ):
            self.add_error("end_date", "The last day is before the first.")
        return data


class RoomForm(forms.Form):
    name = forms.CharField(max_length=120, label="Room name")
    kind = forms.ChoiceField(choices=RoomKind.choices, label="Kind")


class SeatForm(forms.Form):
    room = forms.ModelChoiceField(queryset=Room.objects.none(), label="Room")
    name = forms.CharField(max_length=80, label="Seat name")
    kind = forms.ChoiceField(choices=SeatKind.choices, label="Seat kind")

    def __init__(self, *args, clinic: Clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["room"].queryset = Room.objects.filter(clinic=clinic).order_by("name")


class StaffForm(forms.Form):
    name = forms.CharField(max_length=160, label="Name")
    role = forms.ChoiceField(choices=StaffRole.choices, label="Role")
    email = forms.EmailField(required=False, label="Email")
    active = forms.BooleanField(required=False, initial=True, label="Active")
