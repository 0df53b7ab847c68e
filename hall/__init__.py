"""The hall hub: domain core, store, bus, HTTP and the `hall` command."""
