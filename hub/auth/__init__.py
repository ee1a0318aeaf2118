"""Who is calling (tokens) and what they may do (one policy)."""
