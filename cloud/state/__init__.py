"""The relational state store: SQLAlchemy 2 tables, Alembic migrations, SQLite or PostgreSQL."""
