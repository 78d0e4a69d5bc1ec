"""Signed webhooks: clinic managers register endpoints; the worker delivers each outbox
event to each matching endpoint following the Standard Webhooks specification."""
