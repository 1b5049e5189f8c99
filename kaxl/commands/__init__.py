"""One module per CLI command beyond `check`; each exposes a click command named ``command``.

Keeping commands in their own modules lets the CLI stay a thin mirror of the library and keeps
`kaxl --help` fast: a module imports its heavy dependencies inside the command function.
"""
