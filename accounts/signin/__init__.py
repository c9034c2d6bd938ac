"""Signing in: throttling and pauses (django-axes counts the failures), unlocking, and two-factor sign-in."""
