"""Online sources of advisories: synchronising with the servers that publish them."""
