"""Excel downloads for the web console, made by running GraphQL documents through the API's own schema."""
