"""The meetings domain."""
