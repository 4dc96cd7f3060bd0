"""`python -m safealign ...`: the same CLI as the `safealign` command."""

import sys


def main() -> None:
    """Run the CLI; Ctrl-C while its modules import (a second or more) says so in one line and exits 130, not with a
    traceback."""
    try:
        from safealign.cli.main import app
    except KeyboardInterrupt:
        sys.stderr.write("interrupted while starting: nothing was done\n")
        raise SystemExit(130) from None
    app(prog_name="safealign")


if __name__ == "__main__":
    main()
