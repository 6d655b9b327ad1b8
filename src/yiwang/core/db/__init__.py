"""Database backends of the platform (settings ``DATABASES[...]["ENGINE"]``)."""
