"""The change log: every case and record as written, in one total order (docs/changes.md)."""
