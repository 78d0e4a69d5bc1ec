"""Messages to patients: one service, email and text channels, consent respected."""
