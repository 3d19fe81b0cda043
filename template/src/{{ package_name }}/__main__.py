"""The command line: the only module that knows both edges (cloud/ and local/).

Exit status: 0 done; 2 bad input or usage (one line on stderr, no traceback); 1 anything else.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from .pipeline import documents, push
from .pipeline.errors import BadInput


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

    letter = commands.add_parser("newsletter", help="render a document's newsletter, not sent")
    letter.add_argument("file", type=Path, help="the document, or the HTTP body of a push")
    letter.add_argument("--out", type=Path, required=True, help="folder for the HTML, text, charts")
    letter.set_defaults(run=_newsletter)

    local = commands.add_parser("local", help="run the whole event-driven loop on this machine")
    local.add_argument(
        "action",
        nargs="?",
        choices=["replay", "demo"],
        help="replay: re-emit inbox items not yet processed; demo: one push end to end",
    )
    local.set_defaults(run=_local)

    deploy = commands.add_parser(
        "deploy", help="set up Prefect Cloud from the Pulumi stack outputs (idempotent)"
    )
    deploy.add_argument(
        "--outputs",
        type=Path,
        help="`pulumi stack output --json --show-secrets` saved to a file "
        "(default: the JSON in $PULUMI_STACK_OUTPUTS)",
    )
    image = deploy.add_mutually_exclusive_group()
    image.add_argument("--image", help="the flow's image URI, already pushed")
    image.add_argument(
        "--build", action="store_true", help="build the image and push it to the stack's registry"
    )
    deploy.add_argument(
        "--pool-type", default="ecs:push", help="work pool type (default: %(default)s)"
    )
    deploy.add_argument(
        "--dry-run", action="store_true", help="print each action, do nothing, talk to nothing"
    )
    deploy.add_argument(
        "--destroy", action="store_true", help="remove the deployment, webhook and work pool"
    )
    deploy.set_defaults(run=_deploy)
    return parser


def _parse(args: argparse.Namespace) -> int:
    document = documents.parse(push.extract(_read(args.file)).document)
    if document.acknowledgement is not None:
        print(f"no data: acknowledgement says {document.acknowledgement}", file=sys.stderr)
    try:
        documents.write_csv(document.frame, sys.stdout)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader stopped early (`| head`): not a failure; keep Python's exit quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def _newsletter(args: argparse.Namespace) -> int:
    from .pipeline.newsletter import render
    from .pipeline.summary import summarise

    document = documents.parse(push.extract(_read(args.file)).document)
    if document.acknowledgement is not None:
        print(
            f"no data, no newsletter: acknowledgement says {document.acknowledgement}",
            file=sys.stderr,
        )
        return 0
    letter = render(summarise(document), document.mrid or args.file.name)
    for path in letter.write(args.out):
        print(path)
    return 0


def _local(args: argparse.Namespace) -> int:
    if args.action == "demo":
        from .local import demo

        return demo.run()
    from .local import stack

    return stack.replay() if args.action == "replay" else stack.run()


def _deploy(args: argparse.Namespace) -> int:
    from .cloud import deploy

    return deploy.run(
        args.outputs, args.image, args.build, args.pool_type, args.dry_run, args.destroy
    )


def _read(path: Path) -> bytes:
    with path.open("rb") as file:
        return file.read(push.MAX_BODY_BYTES + 1)  # one byte more: extract() names the limit


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
