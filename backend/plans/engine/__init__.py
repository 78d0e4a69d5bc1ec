"""The pure treatment-plan engine: template phases in, planned sessions (or reasons) out.

Nothing here touches Django, the database, settings or the clock: the caller passes the
clinic's boards (``backend.scheduling.booking.availability.Board``), "now" and the plan's
preferences. Modules by topic:

- ``rules``: the dataclasses (``PhaseRule``, ``Preferences``, ``PlannedSlot``, ``PlanResult``)
  and their validation;
- ``cadence``: ordinals and the local dates a session may fall on (gaps, offsets, week grids,
  follow windows);
- ``search``: the times of day to try and the placement checks, within a step budget;
- ``expand``: ``plan_expand``, placement with bounded backtracking;
- ``cascade``: ``plan_cascade``, moving later sessions as little as the cadence needs;
- ``reasons``: the sentences the front desk reads for sessions that cannot be placed;
- ``builtin``: the built-in templates as plain dicts.

Import names from the module that holds them.
"""
