"""Staff users, roles, sessions, CSRF and API tokens."""
