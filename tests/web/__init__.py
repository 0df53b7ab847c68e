"""The web pages' server side: dashboard, screen, device bridge, sign-in, watch."""
