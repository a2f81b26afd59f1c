"""The web interface: server-rendered pages with htmx, behind login, in English and Japanese."""
