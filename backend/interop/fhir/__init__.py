"""FHIR R4, read-only, at ``/fhir/R4/``: a faithful view of the scheduler's data.

- ``params``: search parameters parsed from plain strings (pure).
- ``resources``: plain facts in, FHIR resources out (pure).
- ``services``: the scoped querysets that load those facts.
- ``views`` and ``urls``: thin DRF views, ``application/fhir+json``, OperationOutcome errors.
- ``export``: a clinic's schedule as streamed ndjson Bundles.
"""
