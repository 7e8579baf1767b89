"""Entry point: `python cli.py --help` is the same typer app as the installed `wfm` command."""

from wfm.cli import main

if __name__ == "__main__":
    main()
