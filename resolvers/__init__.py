"""Query and Mutation roots: thin resolvers that convert input, call one service, return."""
