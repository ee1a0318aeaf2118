"""The database: connection, document registration, and the local store."""
