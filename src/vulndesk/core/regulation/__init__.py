"""EU CRA and NIS2 reporting: the clocks (``clocks``), the report documents and their exports."""
