def plan_reschedule_cascade(*, appointment, old_start, actor, now):
    return []
