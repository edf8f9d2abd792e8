"""Fill the `<% name %>` placeholders of an SPCS file (spec YAML or setup SQL) from the environment.

    python -m spcs.render spcs/sql/04_network.sql | snow sql --stdin
    python -m spcs.render spcs/service.yaml > build/service.yaml

Each name reads FLUX_DEPLOY_<NAME>. Plain values (hosts, users, tags) must look like identifiers;
only the two passwords may hold any character, and they are only ever rendered into SQL string
literals (escaped), piped on stdin, never written to disk or put on a command line.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path

PLACEHOLDER = re.compile(r"<%\s*([a-z_][a-z0-9_]*)\s*%>")
_PLAIN = re.compile(r"^[A-Za-z0-9._-]{1,253}$")

DEFAULTS = {
    "pg_port": "5432",
    "pg_database": "flux",
    "pg_app_user": "flux_app",
    "pg_sync_user": "flux_sync",
}
SECRETS = frozenset({"pg_app_password", "pg_sync_password"})
KNOWN = frozenset({"pg_host", "image_tag", *DEFAULTS, *SECRETS})


class RenderError(ValueError):
    pass


def env_name(name: str) -> str:
    return f"FLUX_DEPLOY_{name.upper()}"


def sql_string_body(value: str) -> str:
    """Escape for the inside of a Snowflake '...' literal (quotes doubled, backslashes escaped)."""
    return value.replace("\\", "\\\\").replace("'", "''")


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def render(text: str, env: Mapping[str, str], *, sql: bool) -> str:
    unknown = placeholders(text) - KNOWN
    if unknown:
        raise RenderError(f"unknown placeholders: {', '.join(sorted(unknown))}")

    def value(match: re.Match) -> str:
        name = match.group(1)
        raw = env.get(env_name(name), DEFAULTS.get(name))
        if raw is None or raw == "":
            raise RenderError(f"{env_name(name)} is not set")
        if name in SECRETS:
            if not sql:
                raise RenderError(f"{name} may only be rendered into SQL")
            return sql_string_body(raw)
        if not _PLAIN.match(raw):
            raise RenderError(f"{env_name(name)} has characters outside [A-Za-z0-9._-]")
        return raw

    return PLACEHOLDER.sub(value, text)


def render_file(path: Path, env: Mapping[str, str] | None = None) -> str:
    return render(path.read_text(), os.environ if env is None else env, sql=path.suffix == ".sql")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m spcs.render FILE", file=sys.stderr)
        return 2
    try:
        sys.stdout.write(render_file(Path(args[0])))
    except (RenderError, OSError) as exc:
        print(f"render: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
