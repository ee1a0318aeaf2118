"""Personal and organisational identity: validation, masking and keyed hashing of identifiers."""
