"""Forms of the web interface, one module per topic: they validate input and nothing else."""
