"""The task worker: django-tasks' database worker plus the clock that enqueues periodic
tasks (``schedule``)."""
