"""Calendar feeds: pure building blocks.

``ical`` writes RFC 5545 text from plain frozen dataclasses, ``content`` decides what each
kind of subscriber sees (wording, privacy), ``links`` builds the subscription URLs. None of
them touch the ORM or read the clock; ``backend.scheduling.feeds.services`` does the
fetching and hands them plain data.
"""
