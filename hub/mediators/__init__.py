"""The mediators domain."""
