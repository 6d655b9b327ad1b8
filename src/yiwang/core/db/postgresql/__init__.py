"""Django's PostgreSQL backend with a health check that asks the socket
(``base.DatabaseWrapper.is_usable``)."""
