"""The HTTP API: create_app(settings) with a lifespan; thin routes."""
