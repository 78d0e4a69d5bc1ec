"""Group sessions: one room, one start, several facilitators, participants enrolled one by one."""
