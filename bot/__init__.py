"""The Bot Framework edge: the only package (besides ``app.py``) that imports botbuilder."""
