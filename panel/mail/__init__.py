"""Mail to people: the outbox every message goes through, delivery, bounces."""
