"""`python -m safealign ...`: the same CLI as the `safealign` command."""

from safealign.cli.main import app

if __name__ == "__main__":
    app(prog_name="safealign")
