"""Patient self-service through one-time links: confirm, cancel or ask to reschedule an
appointment from its reminder, and accept or decline a waitlist offer."""
