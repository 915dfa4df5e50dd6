"""Members: joining, consent, profile, login links, imports, and their own data."""
