"""The link to the back office over HTTP."""
