"""The deterministic demo data set and its loader."""
