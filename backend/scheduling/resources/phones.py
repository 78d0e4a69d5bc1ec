"""Phone numbers: validated with ``phonenumbers`` and stored in E.164 (``+12125550142``).

A number written without a country code is read as one of ``PHONE_DEFAULT_REGION``
(settings; US unless set), the country the clinics dial in. E.164 is what SMS gateways
and other systems take, and one spelling per number makes a search by phone exact.
"""

import phonenumbers
from django.conf import settings


def default_region() -> str:
    return getattr(settings, "PHONE_DEFAULT_REGION", "US")


def phone_e164(value: str) -> str:
    """``value`` in E.164 ("" stays ""); ValueError with a front-desk sentence if invalid."""
    text = (value or "").strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, default_region())
    except phonenumbers.NumberParseException as exc:
        raise ValueError("Enter a phone number, e.g. (212) 555-0142 or +44 20 7946 0958.") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError(
            f"{text} is not a valid phone number; include the country code (+44 ...) for "
            "numbers from abroad."
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_display(value: str) -> str:
    """An E.164 number as people read it (national format at home, international abroad)."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, default_region())
    except phonenumbers.NumberParseException:
        return value
    if not phonenumbers.is_valid_number(number):
        return value  # stored before numbers were checked: shown as typed
    home = phonenumbers.region_code_for_number(number) == default_region()
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if home
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)
