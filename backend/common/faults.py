"""Named points where a test can stop a request in the middle, to crash it there.

``fault_point("plan_book.written")`` does nothing unless the settings name that point in
``FAULT_PAUSES`` (only the test settings can: ``tests/settings.py`` reads them from
``KAP_FAULT_PAUSES``). A named point writes the process id to the file it is mapped to
and sleeps, so that a test can ``kill -9`` the worker there: in the middle of a course
booking, its rows written but not committed. Production settings never define
``FAULT_PAUSES``, so the call costs one attribute lookup.
"""

import os
import time
from pathlib import Path

from django.conf import settings

PAUSE_SECONDS = 120


def fault_point(name: str) -> None:
    pauses = getattr(settings, "FAULT_PAUSES", None)
    if not pauses or name not in pauses:
        return
    Path(pauses[name]).write_text(str(os.getpid()))
    time.sleep(PAUSE_SECONDS)
