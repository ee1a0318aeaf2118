"""Events in an outbox, delivered to agencies' systems by signed webhooks (docs/webhooks.md)."""
