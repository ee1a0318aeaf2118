"""Trusted documents: the GraphQL documents agency systems registered by hash, and the rule that some must use them."""
