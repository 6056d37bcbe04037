"""`python -m kvstore` runs the kvstore command line (see kvstore.cli)."""

from kvstore.cli import main

if __name__ == "__main__":
    main()
