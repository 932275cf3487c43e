"""A longer schemathesis run of the API than CI's (not a test run of its own: it reuses the CI test with more
examples per operation and generation mode).

    .venv/bin/python bench/schemathesis_full.py [--examples 100] [pytest args...]

``tests/api/test_schemathesis.py`` builds its Hypothesis settings from the module constant ``MAX_EXAMPLES`` when
each test runs; this script runs that module under pytest with a plugin that raises the constant after collection,
and prints pytest's summary (the checks: no 5xx, documented status codes, content types and body schemas).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


class MoreExamples:
    def __init__(self, examples: int) -> None:
        self.examples = examples
        self.patched: list[str] = []

    def pytest_collection_finish(self, session: Any) -> None:
        for name, module in list(sys.modules.items()):
            if name.endswith("test_schemathesis") and hasattr(module, "MAX_EXAMPLES"):
                setattr(module, "MAX_EXAMPLES", self.examples)  # noqa: B010 (a module attribute unknown to mypy)
                self.patched.append(name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=100)
    args, rest = parser.parse_known_args(argv)
    plugin = MoreExamples(args.examples)
    code = pytest.main(
        [str(ROOT / "tests" / "api" / "test_schemathesis.py"), "-q", "-p", "no:cacheprovider", "--timeout=3600", *rest],
        plugins=[plugin],
    )
    if not plugin.patched:
        print("test_schemathesis.MAX_EXAMPLES was not found: the run used CI's examples", file=sys.stderr)
        return 2
    print(f"schemathesis: {args.examples} examples per operation and mode (patched {plugin.patched}); exit {code}")
    return int(code)


if __name__ == "__main__":
    raise SystemExit(main())
