"""The people's console (/console) and the GraphiQL page: built files served by the hub, and the sign-in session."""
