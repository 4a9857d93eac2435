"""The command-line adapter: the only package that imports typer or prints."""
