"""Shared test support (for example the Bot Connector stand-in in ``connector``)."""
