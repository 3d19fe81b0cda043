"""The command line.

Exit status: 0 done; 2 bad input or usage (one line on stderr, no traceback); 1 anything else.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from .errors import BadInput


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, no usage block: contract 4.
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=f"python -m {__package__}", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    parse = commands.add_parser("parse", help="print a document or a whole push body as CSV")
    parse.add_argument("file", type=Path, help="the document, or the HTTP body of a push")
    parse.set_defaults(run=_parse)
    return parser


def _parse(args: argparse.Namespace) -> int:
    args.file.read_bytes()
    raise NotImplementedError("parsing arrives in 0.2.0")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except BadInput as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (FileNotFoundError, IsADirectoryError, PermissionError) as error:
        # A FILE that cannot be read is bad usage, not a crash.
        print(f"error: cannot read {error.filename}: {error.strerror}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
