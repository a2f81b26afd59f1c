"""Pages of the web interface, one module per topic. Each view validates its input, calls a
selector or a service, and renders; every page requires a login and GET never changes anything."""
