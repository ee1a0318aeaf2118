"""Mediation Data Hub: one GraphQL API over every agency's dispute records."""

__version__ = "0.1.0"
