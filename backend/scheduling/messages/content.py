"""What may be said to a patient outside the clinic: a pure check over message text.

Messages travel by email and text, are read on lock screens and shared phones, and are
kept by carriers: like calendar feeds, they say when and where, never what for. A drug,
a treatment or a diagnosis word is refused before anything is sent.
"""

import re

# Words that would tell a reader what the visit is for (lower case, whole words).
PRIVACY_WORDS = frozenset(
    {
        "spravato",
        "ketamine",
        "esketamine",
        "infusion",
        "iv",
        "kap",
        "psychedelic",
        "dose",
        "dosing",
        "mg",
        "rems",
        "depression",
        "depressive",
        "trd",
        "ptsd",
        "suicidal",
        "anxiety",
        "psychiatric",
    }
)

_WORD = re.compile(r"[a-z]+")
# A link's one-time token (43 characters of URL-safe base64 from ``secrets.token_urlsafe``)
# is random: read as words it says "iv" or "mg" in about one link of ten, and the message
# was refused. A path segment that long is a token, not words, so it is left out of the
# check; the rest of the link (its host and the other segments) is still checked.
_TOKEN = re.compile(r"(?<=/)[A-Za-z0-9_-]{40,}(?![A-Za-z0-9_-])")


def privacy_words_in(text: str, words: frozenset[str] = PRIVACY_WORDS) -> list[str]:
    """The privacy words ``text`` contains, in order of first appearance."""
    found: list[str] = []
    for word in _WORD.findall(_TOKEN.sub(" ", text).lower()):
        if word in words and word not in found:
            found.append(word)
    return found


def sms_text(*parts: str, limit: int = 459) -> str:
    """Parts joined into one text message, at most three segments long."""
    text = " ".join(" ".join(p.split()) for p in parts if p)
    return text if len(text) <= limit else text[: limit - 1] + "…"
