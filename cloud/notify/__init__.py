"""The notifier: a durable outbox of alerts in the state store, delivered through Apprise and chat-bot webhooks."""
