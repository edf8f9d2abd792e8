"""The request path: the repository every callback, route and the chat reads through, its two
stores (the Postgres cache first, the warehouse behind it), their SQL, the shared read cache and
the breakers. Imports nothing of app/ or callbacks/."""
