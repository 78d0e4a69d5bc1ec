"""Payer authorizations: how many sessions of which types a payer approved, and when."""
