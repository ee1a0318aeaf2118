"""Printable reports: the joint-meeting brief and the monthly analysis, as self-contained HTML."""
