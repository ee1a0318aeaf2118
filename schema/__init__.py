"""Strawberry types, inputs, enums and permission classes; never touches the database."""
