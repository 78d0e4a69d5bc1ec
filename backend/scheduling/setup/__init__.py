"""Clinic set-up that must look at bookings first: what a new closure would hit, and
refusing to retire a seat or room that still has future bookings."""
