"""The waitlist: patients waiting for an earlier or any start, offered freed seats."""
