"""Snowpark Container Services packaging, checked here without Docker or a Snowflake account.

- spcs/service.yaml (and sync_job.yaml) validate against tests/spcs_spec_schema.json, a closed
  JSON Schema written from Snowflake's specification reference: `min_instances` fails.
- Every SQL file under spcs/ and data/etl/sql/warehouse/ parses with sqlglot's Snowflake dialect.
  sqlglot 30.22 does not model many Snowflake DDL statements (CREATE COMPUTE POOL, CREATE
  SERVICE, network rules, secrets, integrations, tasks, most GRANTs). For those it returns an
  `exp.Command` ("unsupported syntax" fallback: tokenized, not parsed), or raises for a few
  (CREATE SEMANTIC VIEW). Such a statement is accepted only under the FALLBACK RULE below: its
  leading keywords name a known Snowflake statement, a regex of that statement's required
  clauses (from the SQL reference) matches, it tokenizes, its brackets balance, and every `=`
  has a value. Bodies in `$$ ... $$` (EXECUTE IMMEDIATE) are checked statement by statement.
- spcs/deploy.sh passes shellcheck.
- The production gunicorn command (the Dockerfile's CMD, parsed) starts for real on 127.0.0.1,
  serves /healthz, /readyz and the dashboard, and exits 0 on SIGTERM within seconds.
- SPCS mode: OAuth from a token file, re-read per connection; the user header is rendered by
  the server; no secret appears in the logs.
"""

from __future__ import annotations

import copy
import http.client
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest
import sqlglot
import yaml
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

ROOT = Path(__file__).resolve().parents[2]
SPCS = ROOT / "spcs"
SCHEMA = json.loads((ROOT / "tests" / "spcs_spec_schema.json").read_text())
VENV_BIN = Path(sys.executable).parent

# Values for the <% name %> placeholders when rendering in tests.
SAMPLE_DEPLOY_ENV = {
    "FLUX_DEPLOY_PG_HOST": "abc123.postgres.snowflake.app",
    "FLUX_DEPLOY_IMAGE_TAG": "0123456789ab",
    "FLUX_DEPLOY_PG_APP_PASSWORD": "h5-app-pw-it's\\odd",
    "FLUX_DEPLOY_PG_SYNC_PASSWORD": "h5-sync-pw",
}


def _render(path: Path) -> str:
    from spcs.render import render_file

    return render_file(path, SAMPLE_DEPLOY_ENV)


def _validator():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    return jsonschema.Draft202012Validator(SCHEMA)


def _errors(doc) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in _validator().iter_errors(doc)]


# -- service specification ----------------------------------------------------------------------
SPEC_FILES = [SPCS / "service.yaml", SPCS / "sync_job.yaml"]


@pytest.mark.parametrize("path", SPEC_FILES, ids=lambda p: p.name)
def test_spcs001_spec_validates_against_schema(path):
    raw = yaml.safe_load(path.read_text())
    rendered = yaml.safe_load(_render(path))
    assert _errors(raw) == []
    assert _errors(rendered) == []
    for container in rendered["spec"]["containers"]:
        # /<db>/<schema>/<repository>/<image>:<tag>, the repository that 02_database.sql creates
        assert container["image"] == "/flux/app/flux_images/flux-ops:0123456789ab"


@pytest.mark.parametrize(
    "where",
    ["top", "spec", "container", "endpoint"],
)
def test_spcs002_min_instances_is_rejected(where):
    doc = yaml.safe_load((SPCS / "service.yaml").read_text())
    assert _errors(doc) == []
    bad = copy.deepcopy(doc)
    target = {
        "top": bad,
        "spec": bad["spec"],
        "container": bad["spec"]["containers"][0],
        "endpoint": bad["spec"]["endpoints"][0],
    }[where]
    target["min_instances"] = 1
    errors = _errors(bad)
    assert errors and any("min_instances" in e for e in errors), errors


def test_spcs003_schema_rejects_other_mistakes():
    doc = yaml.safe_load((SPCS / "service.yaml").read_text())
    plain_password = copy.deepcopy(doc)
    # A secret must name envVarName with secretKeyRef, or a directoryPath; not both, not neither.
    plain_password["spec"]["containers"][0]["secrets"][0]["directoryPath"] = "/secrets"
    assert _errors(plain_password)
    bad_name = copy.deepcopy(doc)
    bad_name["spec"]["endpoints"][0]["name"] = "UI_Endpoint"
    assert _errors(bad_name)
    no_port = copy.deepcopy(doc)
    del no_port["spec"]["endpoints"][0]["port"]
    assert _errors(no_port)


def test_spcs004_service_spec_content():
    spec = yaml.safe_load(_render(SPCS / "service.yaml"))
    (container,) = spec["spec"]["containers"]
    env = container["env"]
    assert env["FLUX_EMBEDDED"] == "false"
    assert "sslmode=require" in env["FLUX_PG_DSN"] and "password" not in env["FLUX_PG_DSN"].lower()
    # The Postgres password arrives from a Snowflake secret, never as a plain env value.
    assert not [k for k in env if re.search(r"PASSWORD|SECRET|TOKEN|PAT$", k)]
    (secret,) = container["secrets"]
    assert secret["envVarName"] == "FLUX_PG_PASSWORD" and secret["secretKeyRef"] == "password"
    assert secret["snowflakeSecret"]["objectName"] == "FLUX.APP.FLUX_PG_APP_SECRET"
    # SPCS injects SNOWFLAKE_SCHEMA = the service's schema (APP); the app must read PRODUCTION.
    assert env["FLUX_SNOWFLAKE_SCHEMA"] == "PRODUCTION"
    assert container["readinessProbe"] == {"port": 8080, "path": "/healthz"}
    (endpoint,) = spec["spec"]["endpoints"]
    assert endpoint["port"] == 8080 and endpoint["public"] is True
    roles = {r["name"]: r["endpoints"] for r in spec["serviceRoles"]}
    assert roles == {"flux_ui_user": ["ui"]}
    grants = (SPCS / "sql" / "08_endpoint_grants.sql").read_text()
    assert "FLUX.APP.FLUX_OPS!FLUX_UI_USER TO ROLE FLUX_VIEWER" in grants
    # The sync job uses the writer secret, never the dashboard's.
    job = yaml.safe_load(_render(SPCS / "sync_job.yaml"))
    (jc,) = job["spec"]["containers"]
    assert jc["command"] == ["python", "-m", "data.etl.sync", "--once"]
    assert jc["secrets"][0]["snowflakeSecret"]["objectName"] == "FLUX.APP.FLUX_PG_SYNC_SECRET"


# -- SQL: sqlglot, with the documented fallback rule ---------------------------------------------
_FORM = r"(?:OR\s+REPLACE\s+|OR\s+ALTER\s+)?"
_INE = r"(?:IF\s+NOT\s+EXISTS\s+)?"
_IE = r"(?:IF\s+EXISTS\s+)?"
_NAME = r"[A-Za-z_][\w$]*(?:\.[A-Za-z_][\w$]*){0,2}"
_STAGE = r"@[\w.$]+(?:/[\w./-]*)?"

# Statement forms sqlglot 30.22 does not model, with the clauses the Snowflake reference requires.
FALLBACK_FORMS: list[tuple[str, re.Pattern]] = [
    (name, re.compile(rx, re.I | re.S))
    for name, rx in [
        ("CREATE ROLE", rf"^CREATE\s+{_FORM}ROLE\s+{_INE}{_NAME}(\s+COMMENT\s*=\s*'[^']*')?$"),
        ("CREATE IMAGE REPOSITORY", rf"^CREATE\s+{_FORM}IMAGE\s+REPOSITORY\s+{_INE}{_NAME}$"),
        (
            "CREATE COMPUTE POOL",
            rf"^CREATE\s+COMPUTE\s+POOL\s+{_INE}{_NAME}\s+(?=.*\bMIN_NODES\s*=\s*\d+)(?=.*\bMAX_NODES\s*=\s*\d+)"
            r"(?=.*\bINSTANCE_FAMILY\s*=\s*[A-Z0-9_]+).*$",
        ),
        ("ALTER COMPUTE POOL", rf"^ALTER\s+COMPUTE\s+POOL\s+{_IE}{_NAME}\s+(SET\s+\w+\s*=|STOP\s+ALL$|SUSPEND$|RESUME$)"),
        (
            "CREATE NETWORK RULE",
            rf"^CREATE\s+{_FORM}NETWORK\s+RULE\s+{_INE}{_NAME}\s+TYPE\s*=\s*(HOST_PORT|IPV4|PRIVATE_HOST_PORT)\s+"
            r"MODE\s*=\s*(EGRESS|INGRESS|INTERNAL_STAGE)\s+VALUE_LIST\s*=\s*\(\s*'[^']+'(\s*,\s*'[^']+')*\s*\)",
        ),
        ("ALTER NETWORK RULE", rf"^ALTER\s+NETWORK\s+RULE\s+{_IE}{_NAME}\s+SET\s+VALUE_LIST\s*=\s*\(\s*'[^']+'"),
        (
            "CREATE SECRET",
            rf"^CREATE\s+{_FORM}SECRET\s+{_INE}{_NAME}\s+TYPE\s*=\s*PASSWORD\s+USERNAME\s*=\s*'[^']*'\s+"
            r"PASSWORD\s*=\s*'(?:[^']|'')*'$",
        ),
        ("ALTER SECRET", rf"^ALTER\s+SECRET\s+{_IE}{_NAME}\s+SET\s+USERNAME\s*=\s*'[^']*'\s+PASSWORD\s*=\s*'(?:[^']|'')*'$"),
        (
            "CREATE EXTERNAL ACCESS INTEGRATION",
            rf"^CREATE\s+{_FORM}EXTERNAL\s+ACCESS\s+INTEGRATION\s+{_INE}{_NAME}\s+ALLOWED_NETWORK_RULES\s*=\s*\([^)]+\)"
            r"(\s+ALLOWED_AUTHENTICATION_SECRETS\s*=\s*\([^)]+\))?\s+ENABLED\s*=\s*(TRUE|FALSE)(\s+COMMENT\s*=\s*'[^']*')?$",
        ),
        ("ALTER EXTERNAL ACCESS INTEGRATION", rf"^ALTER\s+EXTERNAL\s+ACCESS\s+INTEGRATION\s+{_IE}{_NAME}\s+SET\s+\w+\s*="),
        (
            "CREATE SERVICE",
            rf"^CREATE\s+SERVICE\s+{_INE}{_NAME}\s+IN\s+COMPUTE\s+POOL\s+{_NAME}\s+FROM\s+"
            rf"({_STAGE}\s+SPECIFICATION_FILE\s*=\s*'[^']+'|SPECIFICATION\s+\$\$.*\$\$)"
            r"(?=.*\bMIN_INSTANCES\s*=\s*\d+)(?=.*\bMAX_INSTANCES\s*=\s*\d+).*$",
        ),
        (
            "ALTER SERVICE",
            rf"^ALTER\s+SERVICE\s+{_IE}{_NAME}\s+(FROM\s+{_STAGE}\s+SPECIFICATION_FILE\s*=\s*'[^']+'$|SET\s+\w+\s*=|SUSPEND$|RESUME$)",
        ),
        (
            "EXECUTE JOB SERVICE",
            rf"^EXECUTE\s+JOB\s+SERVICE\s+IN\s+COMPUTE\s+POOL\s+{_NAME}\s+FROM\s+{_STAGE}\s+SPECIFICATION_FILE\s*=\s*'[^']+'"
            rf"\s+NAME\s*=\s*{_NAME}",
        ),
        (
            "CREATE TASK",
            rf"^CREATE\s+{_FORM}TASK\s+{_INE}{_NAME}\s+(?=.*\bSCHEDULE\s*=\s*'\d+\s+MINUTES?')(.*?)\bAS\s+(?P<body>.+)$",
        ),
        ("ALTER TASK", rf"^ALTER\s+TASK\s+{_IE}{_NAME}\s+(RESUME|SUSPEND)$"),
        ("EXECUTE IMMEDIATE FROM", rf"^EXECUTE\s+IMMEDIATE\s+FROM\s+{_STAGE}\.sql$"),
        ("EXECUTE IMMEDIATE", r"^EXECUTE\s+IMMEDIATE\s+\$\$(?P<body>.*)\$\$$"),
        (
            "GRANT",
            r"^GRANT\s+[\w ,]+?\s+ON\s+(ACCOUNT|(ALL|FUTURE)\s+[\w ]+?\s+IN\s+(SCHEMA|DATABASE)\s+[\w.]+|[\w ]+?\s+[\w.$]+)"
            r"\s+TO\s+ROLE\s+\w+(\s+COPY\s+CURRENT\s+GRANTS)?$",
        ),
        ("GRANT ROLE", r"^GRANT\s+(DATABASE\s+ROLE\s+[\w.]+|ROLE\s+\w+|SERVICE\s+ROLE\s+[\w.]+![\w]+)\s+TO\s+(ROLE|USER)\s+\w+$"),
        ("DROP", rf"^DROP\s+(SERVICE|COMPUTE\s+POOL|TASK|ROLE|EXTERNAL\s+ACCESS\s+INTEGRATION|SCHEMA|NETWORK\s+RULE|SECRET)\s+IF\s+EXISTS\s+{_NAME}(\s+CASCADE)?$"),
        (
            "CREATE SEMANTIC VIEW",
            rf"^CREATE\s+{_FORM}SEMANTIC\s+VIEW\s+{_INE}{_NAME}\s+TABLES\s*\(.*\)(\s+(RELATIONSHIPS|FACTS|DIMENSIONS|METRICS)\s*\(.*\))*.*$",
        ),
        (
            "CALL SYSTEM$CREATE_SEMANTIC_VIEW_FROM_YAML",
            r"^CALL\s+SYSTEM\$CREATE_SEMANTIC_VIEW_FROM_YAML\(\s*'[\w.]+'\s*,\s*\$\$(?P<yaml>.*)\$\$\s*(,\s*(TRUE|FALSE)\s*)?\)$",
        ),
        ("CREATE AGENT", rf"^CREATE\s+{_FORM}AGENT\s+{_INE}{_NAME}(\s+COMMENT\s*=\s*'[^']*')?(\s+PROFILE\s*=\s*'[^']*')?\s+FROM\s+SPECIFICATION\s+\$\$(?P<yaml>.*)\$\$$"),
        (
            "CREATE CORTEX SEARCH SERVICE",
            rf"^CREATE\s+{_FORM}CORTEX\s+SEARCH\s+SERVICE\s+{_INE}{_NAME}\s+ON\s+\w+(\s+ATTRIBUTES\s+\w+(\s*,\s*\w+)*)?"
            r"\s+WAREHOUSE\s*=\s*\w+\s+TARGET_LAG\s*=\s*'\d+\s+(seconds?|minutes?|hours?|days?)'"
            r"(\s+EMBEDDING_MODEL\s*=\s*'[\w.-]+')?(\s+COMMENT\s*=\s*'[^']*')?\s+AS\s*\((?P<query>\s*SELECT\b.*)\)$",
        ),
    ]
]

_VALUE_TOKENS = {"STRING", "NUMBER", "VAR", "TRUE", "FALSE", "L_PAREN", "PARAMETER", "RAW_STRING", "HEREDOC_STRING"}


def _strip_comments(sql: str) -> str:
    return "\n".join(line for line in sql.splitlines() if not line.strip().startswith("--"))


def _structure_ok(statement: str) -> str | None:
    """Tokenizes, balanced brackets, and every `=` followed by a value. None when fine."""
    try:
        tokens = sqlglot.Dialect.get_or_raise("snowflake").tokenize(statement)
    except TokenError as exc:
        return f"does not tokenize: {exc}"
    depth = 0
    for i, tok in enumerate(tokens):
        kind = tok.token_type.name
        depth += kind == "L_PAREN"
        depth -= kind == "R_PAREN"
        if depth < 0:
            return "unbalanced ')'"
        if kind == "EQ":
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if nxt is None or (nxt.token_type.name not in _VALUE_TOKENS and not nxt.text.replace("_", "").isalnum()):
                return f"'=' without a value near token {i}"
    return None if depth == 0 else "unbalanced '('"


def check_statement(statement: str) -> tuple[str, str | None]:
    """('parsed'|'fallback:<form>', problem or None). Problem None means the statement passes."""
    try:
        parsed = sqlglot.parse(statement, read="snowflake")
        parse_error = None
    except (ParseError, TokenError) as exc:
        parsed, parse_error = None, exc
    if parsed is not None:
        if len(parsed) != 1 or parsed[0] is None:
            return "parsed", f"expected one statement, sqlglot saw {len(parsed)}"
        if not isinstance(parsed[0], exp.Command):
            return "parsed", None
    text = statement.strip()
    for name, pattern in FALLBACK_FORMS:
        m = pattern.match(text)
        if not m:
            continue
        if parse_error is not None and name not in ("CREATE SEMANTIC VIEW",):
            return f"fallback:{name}", f"sqlglot raised and the form is not one it cannot parse: {parse_error}"
        problem = _structure_ok(statement)
        if problem:
            return f"fallback:{name}", problem
        if m.groupdict().get("yaml") is not None:
            try:
                if not isinstance(yaml.safe_load(m.group("yaml")), dict):
                    return f"fallback:{name}", "the $$ body is not a YAML mapping"
            except yaml.YAMLError as exc:
                return f"fallback:{name}", f"the $$ body is not YAML: {exc}"
        query = m.groupdict().get("query")
        if query is not None:
            try:
                parsed_query = sqlglot.parse_one(query, read="snowflake")
            except (ParseError, TokenError) as exc:
                return f"fallback:{name}", f"the source query does not parse: {exc}"
            if not isinstance(parsed_query, exp.Select):
                return f"fallback:{name}", "the source query is not a SELECT"
        body = m.groupdict().get("body")
        if body:
            inner = body.strip()
            if inner.startswith("EXECUTE IMMEDIATE"):
                return check_statement(inner)
            if inner.upper().startswith("BEGIN") and inner.upper().rstrip(" ;").endswith("END"):
                inner = re.sub(r"^BEGIN\s+|\s*END\s*;?\s*$", "", inner, flags=re.I)
            for sub in _split(inner):
                kind, sub_problem = check_statement(sub)
                if sub_problem:
                    return kind, f"in body: {sub_problem}"
        return f"fallback:{name}", None
    if parse_error is not None:
        return "error", str(parse_error)
    return "fallback:?", "sqlglot could not parse it and it matches no known Snowflake form"


def _split(sql: str) -> list[str]:
    from data.etl.schema import split_statements

    return [s for s in split_statements(_strip_comments(sql)) if s.strip()]


SQL_FILES = sorted((SPCS).rglob("*.sql")) + sorted((ROOT / "data" / "etl" / "sql" / "warehouse").glob("*.sql"))


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_spcs010_sql_parses_with_sqlglot_snowflake(path):
    sql = _render(path) if "<%" in path.read_text() else path.read_text()
    assert "<%" not in sql
    statements = _split(sql)
    assert statements
    problems = []
    for stmt in statements:
        kind, problem = check_statement(stmt)
        if problem:
            problems.append(f"[{kind}] {problem}\n    {' '.join(stmt.split())[:160]}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE COMPUTE POOL P MIN_NODES = (",  # sqlglot's Command fallback accepts this
        "CREATE COMPUTE POOL P MIN_NODES = 1 INSTANCE_FAMILY = CPU_X64_S",  # no MAX_NODES
        "CREATE SERVICE S IN COMPUTE POOL P FROM @st SPECIFICATION_FILE = 'x.yaml'",  # no instance counts
        "CREATE SERVICE S IN COMPUTE POOL P FROM @st SPECIFICATION_FILE = 'x.yaml' MIN_INSTANCES = 1 MAX_INSTANCES = (5",
        "CREATE NETWORK RULE R TYPE = HOST_PORT MODE = EGRESS VALUE_LIST = ()",
        "CREATE FROBNICATOR F WITH X = 1",  # unknown statement
        "CREATE TABLE T (A INT",  # sqlglot raises
        "CREATE TASK T SCHEDULE = '5 MINUTE' AS EXECUTE IMMEDIATE $$ BEGIN DROP SERVICE IF EXISTS X; CREATE FROBNICATOR Y; END; $$",
        "GRANT SELECT ON TABLE A.B TO",
        "CREATE CORTEX SEARCH SERVICE S ON T WAREHOUSE = W AS (SELECT T FROM X)",  # no TARGET_LAG
        "CREATE CORTEX SEARCH SERVICE S ON T WAREHOUSE = W TARGET_LAG = '1 hour' AS (SELECT T FROM)",
        "CREATE AGENT A FROM SPECIFICATION $$ tools: [oops $$",
    ],
)
def test_spcs011_sql_check_rejects_malformed(statement):
    kind, problem = check_statement(statement)
    assert problem, f"accepted as {kind}"


def test_spcs012_sql_is_ordered_idempotent_and_least_privilege():
    files = sorted((SPCS / "sql").glob("*.sql"))
    assert [f.name[:3] for f in files] == [f"{i:02d}_" for i in range(1, len(files) + 1)]
    text = "\n".join(_strip_comments(f.read_text()) for f in files)
    for stmt in _split(text):
        flat = " ".join(stmt.split()).upper()
        if flat.startswith("CREATE "):
            assert "IF NOT EXISTS" in flat or flat.startswith("CREATE OR REPLACE DYNAMIC"), flat[:100]
        # Replacing these would drop their grants and detach them from the running service.
        assert not re.match(r"CREATE OR REPLACE (SERVICE|SECRET|NETWORK RULE|EXTERNAL ACCESS|COMPUTE POOL)", flat)
        # The runtime roles never get write or ownership privileges.
        if flat.startswith("GRANT ") and re.search(r"TO ROLE (FLUX_SERVICE|FLUX_SYNC|FLUX_VIEWER)$", flat):
            privs = flat[6 : flat.index(" ON ")] if " ON " in flat else ""
            assert not re.search(r"\b(INSERT|UPDATE|DELETE|TRUNCATE|OWNERSHIP|ALL|MODIFY|CREATE (TABLE|DATABASE|SCHEMA))\b", privs), flat
    service = " ".join((SPCS / "sql" / "07_service.sql").read_text().split())
    assert "USE ROLE FLUX_SERVICE;" in service  # the service's OAuth session runs as its owner role
    for clause in ("MIN_INSTANCES = 1", "MAX_INSTANCES = 5", "QUERY_WAREHOUSE = FLUX_WH", "EXTERNAL_ACCESS_INTEGRATIONS = (FLUX_PG_EAI, FLUX_TILES_EAI)"):
        assert clause in service
    pool = " ".join((SPCS / "sql" / "03_compute_pool.sql").read_text().split())
    for clause in ("MIN_NODES = 1", "MAX_NODES = 3", "INSTANCE_FAMILY = CPU_X64_S"):
        assert clause in pool


def test_spcs013_every_warehouse_file_is_deployed():
    deploy_sql = (SPCS / "sql" / "06_warehouse.sql").read_text()
    referenced = re.findall(r"EXECUTE IMMEDIATE FROM @FLUX\.APP\.FLUX_DEPLOY/warehouse/([\w.]+\.sql)", deploy_sql)
    on_disk = {p.name for p in (ROOT / "data" / "etl" / "sql" / "warehouse").glob("*.sql")}
    assert set(referenced) == on_disk, "spcs/sql/06_warehouse.sql must run every data/etl/sql/warehouse file"
    versions = [r for r in referenced if r.startswith("V")]
    assert versions == sorted(versions) and referenced[: len(versions)] == versions  # tables first


def test_spcs014_deploy_script_shellcheck_and_steps():
    script = SPCS / "deploy.sh"
    shellcheck = shutil.which("shellcheck")
    assert shellcheck, "shellcheck (Debian package) is required; scripts/bootstrap.sh installs it"
    result = subprocess.run([shellcheck, "-x", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    text = script.read_text()
    for step in (
        "--platform linux/amd64",
        "snow spcs image-registry login",
        "docker push",
        "ALTER SERVICE $SERVICE FROM $STAGE SPECIFICATION_FILE",
        "SYSTEM\\$GET_SERVICE_STATUS",
        "SHOW ENDPOINTS IN SERVICE",
        "SYSTEM\\$GET_SERVICE_LOGS",
    ):
        assert step in text, step
    # Every setup file is run, in order.
    ran = re.findall(r"spcs/sql/(\d\d_\w+\.sql)", text)
    files = sorted(p.name for p in (SPCS / "sql").glob("*.sql"))
    assert sorted(set(ran)) == files
    assert [r for i, r in enumerate(ran) if r not in ran[:i]] == files
    # The passwords go through stdin with output discarded, never on a command line.
    assert not re.search(r"snow\b[^\n|]*PASSWORD", text)


def test_spcs015_render_escapes_and_refuses():
    from spcs.render import RenderError, render

    env = dict(SAMPLE_DEPLOY_ENV)
    out = render("PASSWORD = '<% pg_app_password %>' HOST '<% pg_host %>:<% pg_port %>'", env, sql=True)
    assert out == "PASSWORD = 'h5-app-pw-it''s\\\\odd' HOST 'abc123.postgres.snowflake.app:5432'"
    with pytest.raises(RenderError, match="may only be rendered into SQL"):
        render("x: <% pg_app_password %>", env, sql=False)
    with pytest.raises(RenderError, match="unknown placeholders"):
        render("<% nope %>", env, sql=True)
    with pytest.raises(RenderError, match="FLUX_DEPLOY_PG_HOST is not set"):
        render("<% pg_host %>", {}, sql=True)
    with pytest.raises(RenderError, match="outside"):
        render("<% pg_host %>", {"FLUX_DEPLOY_PG_HOST": "evil' OR 1=1"}, sql=True)


# -- image --------------------------------------------------------------------------------------
def _dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def dockerfile_cmd() -> list[str]:
    """The Dockerfile's exec-form CMD: the one place the production command is written."""
    (line,) = [ln for ln in _dockerfile().splitlines() if ln.startswith("CMD ")]
    argv = json.loads(line[len("CMD ") :])
    assert isinstance(argv, list) and all(isinstance(a, str) for a in argv)
    return argv


def production_argv() -> list[str]:
    """What the tests run: the Dockerfile's CMD, with gunicorn taken from this virtualenv."""
    argv = dockerfile_cmd()
    return [str(VENV_BIN / argv[0]), *argv[1:]]


def test_spcs020_dockerfile_shape():
    text = _dockerfile()
    froms = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\w+))?", text, re.M)
    assert len(froms) == 2, "multi-stage: build, then runtime"
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11[\w.-]*-slim", text, re.M)
    user = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert user and user[-1].split(":")[0] not in ("root", "0")
    assert re.search(r"^EXPOSE 8080$", text, re.M)
    assert re.search(r"^HEALTHCHECK .*", text, re.M) and "/healthz" in text
    assert re.search(r"^STOPSIGNAL SIGTERM$", text, re.M)
    assert "FLUX_EMBEDDED=false" in text
    assert "requirements-dev" not in text and "-r /tmp/req/requirements.txt" in text
    # Runtime requirements carry no test or dev tooling.
    runtime = {
        re.split(r"[=<>\[ ]", ln.strip())[0].lower()
        for ln in (ROOT / "requirements.txt").read_text().splitlines()
        if ln.strip() and not ln.startswith("#")
    }
    assert not runtime & {"pytest", "fakesnow", "duckdb", "sqlglot", "jsonschema", "selenium", "locust", "hypothesis", "schemathesis", "pytest-timeout"}
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    assert ignore[0:1] == ["# Only code goes into the image: no local stack, data, caches, tests or tooling."]
    assert "**" in ignore and "!tests/" not in ignore and "!.stack/" not in ignore
    copied = re.findall(r"^COPY\s+(?:--\S+\s+)*(\S+)\s", text, re.M)
    for src in copied:
        if src.startswith("/"):
            continue
        for part in src.split():
            assert f"!{part.rstrip('/')}/" in ignore or f"!{part}" in ignore, f"{part} is COPYed but .dockerignore drops it"


def test_spcs021_tested_command_is_the_dockerfile_cmd():
    cmd = dockerfile_cmd()
    assert cmd == ["gunicorn", "--config", "app/gunicorn_conf.py", "app.wsgi:server"]
    argv = production_argv()
    assert argv[1:] == cmd[1:] and Path(argv[0]).name == cmd[0] and Path(argv[0]).exists()
    run_sh = ROOT / "scripts" / "run.sh"
    if run_sh.exists():
        # Local runs use the same configuration file and app.
        assert re.search(r"gunicorn\s+(-c|--config)\s+app/gunicorn_conf\.py\s+app\.wsgi:server", run_sh.read_text())


# -- the production server, for real -------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str, headers: dict | None = None, body: bytes | None = None, timeout: float = 30):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST" if body is not None else "GET", path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


class Server:
    """The Dockerfile's command as a child process, logs captured to a file."""

    def __init__(self, env: dict, log_path: Path):
        self.port = _free_port()
        self.log_path = log_path
        full_env = {**os.environ, **env, "FLUX_BIND": f"127.0.0.1:{self.port}"}
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            production_argv(), cwd=ROOT, env=full_env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"gunicorn exited {self.proc.returncode}:\n{self.logs()[-3000:]}")
            try:
                if _get(self.port, "/healthz", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"gunicorn not serving after {timeout}s:\n{self.logs()[-3000:]}")

    def terminate(self, timeout: float = 15) -> tuple[int, float]:
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            self._log.close()
        return rc, time.monotonic() - started

    def logs(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def json_lines(self) -> list[dict]:
        out = []
        for line in self.logs().splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out


def _badge_request(user: str | None) -> tuple[int, dict]:
    body = json.dumps(
        {
            "output": "header-user.children",
            "outputs": {"id": "header-user", "property": "children"},
            "inputs": [{"id": "header-user", "property": "id", "value": "header-user"}],
            "changedPropIds": [],
        }
    ).encode()
    headers = {"Content-Type": "application/json"}
    if user is not None:
        headers["Sf-Context-Current-User"] = user
    return body, headers


@pytest.fixture(scope="module")
def production_server(empty_stores, tmp_path_factory):
    server = Server({}, tmp_path_factory.mktemp("gunicorn") / "server.log")
    try:
        server.wait_ready()
        yield server
    finally:
        if server.proc.poll() is None:
            server.terminate()


def test_spcs030_production_command_serves(production_server):
    port = production_server.port
    status, headers, body = _get(port, "/healthz")
    assert status == 200 and json.loads(body)["status"] == "ok"
    status, _, body = _get(port, "/readyz")
    assert status == 200, body[:500]
    assert json.loads(body)["status"] == "ready"
    status, headers, body = _get(port, "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b"Flux Operations Center" in body and b"_dash-config" in body
    # The signed-in user, rendered by the server from the SPCS ingress header.
    payload, hdrs = _badge_request("ALICE.OPERATOR")
    status, _, body = _get(port, "/_dash-update-component", hdrs, payload)
    assert status == 200 and json.loads(body)["response"]["header-user"]["children"] == "ALICE.OPERATOR"
    payload, hdrs = _badge_request(None)
    status, _, body = _get(port, "/_dash-update-component", hdrs, payload)
    assert json.loads(body)["response"]["header-user"]["children"] == "local"
    # Worker model as configured.
    logs = production_server.logs()
    assert "Using worker: app.web_worker.FluxWorker" in logs and logs.count("Booting worker with pid") >= 2


def test_spcs031_request_log_is_json_with_user_and_request_id(production_server):
    port = production_server.port
    status, headers, _ = _get(port, "/healthz", {"Sf-Context-Current-User": "bob", "X-Request-Id": "req-h5-0001"})
    assert status == 200 and headers["X-Request-Id"] == "req-h5-0001"
    # A client-supplied id that is not plain is replaced, not echoed into the logs.
    _, headers, _ = _get(port, "/healthz", {"X-Request-Id": "bad id {\"x\": 1}"})
    assert re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-Id"])
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = [r for r in production_server.json_lines() if r.get("request_id") == "req-h5-0001"]
        if lines:
            break
        time.sleep(0.1)
    (line,) = lines
    assert line["event"] == "request" and line["method"] == "GET" and line["path"] == "/healthz"
    assert line["status"] == 200 and line["user"] == "bob" and line["duration_ms"] >= 0
    assert line["level"] == "INFO" and line["logger"] == "flux.request" and "ts" in line
    # Everything the server printed is JSON lines (gunicorn's own messages included).
    non_json = [ln for ln in production_server.logs().splitlines() if ln.strip() and not ln.startswith("{")]
    assert not non_json, non_json[:5]


def test_spcs032_sigterm_shuts_down_cleanly(empty_stores, tmp_path):
    server = Server({}, tmp_path / "server.log")
    server.wait_ready()
    assert _get(server.port, "/healthz")[0] == 200
    rc, took = server.terminate()
    assert rc == 0, server.logs()[-2000:]
    assert took < 10
    assert "Shutting down: Master" in server.logs()
    with pytest.raises(OSError):
        _get(server.port, "/healthz", timeout=2)


# -- SPCS mode ----------------------------------------------------------------------------------
def _spcs_settings(token_file: Path, **overrides):
    from settings import Settings

    values = dict(
        embedded=False,
        pg_dsn="host=127.0.0.1 port=15432 dbname=flux user=flux_app",
        snowflake_account="xy12345",
        snowflake_host="xy12345.snowflakecomputing.com",
        snowflake_token_file=token_file,
    )
    values.update(overrides)
    return Settings(**values)


def test_spcs040_oauth_token_file_is_read_per_connection(tmp_path):
    from data.connections import warehouse_connect_kwargs

    token = tmp_path / "token"
    token.write_text("h5-oauth-token-one\n")
    settings = _spcs_settings(token)
    assert settings.warehouse_authenticator == "oauth" and settings.is_spcs
    kw = warehouse_connect_kwargs(settings)
    assert kw["authenticator"] == "oauth" and kw["token"] == "h5-oauth-token-one"
    assert kw["host"] == "xy12345.snowflakecomputing.com" and kw["account"] == "xy12345"
    assert kw["protocol"] == "https" and kw["port"] == 443
    assert "user" not in kw and "password" not in kw  # the token names the service user
    # SPCS rotates the file; the next connection uses the new token.
    token.write_text("h5-oauth-token-two\n")
    assert warehouse_connect_kwargs(settings)["token"] == "h5-oauth-token-two"


def test_spcs041_no_token_file_means_no_oauth(tmp_path):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="SNOWFLAKE_PASSWORD is missing"):
        _spcs_settings(tmp_path / "absent")


def test_spcs042_settings_errors_do_not_echo_secrets(tmp_path):
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as info:
        _spcs_settings(tmp_path / "absent", pg_password="h5-SETTINGS-LEAK-CHECK-77")
    assert "h5-SETTINGS-LEAK-CHECK-77" not in str(info.value)


FAKE_SECRETS = {
    "pg": "h5FakePgSecret-7f3a91",
    "pat": "h5FakePat-c0ffee-42",
    "token": "h5FakeOAuthToken-9b8d7e",
    "dsn_pw": "h5FakeDsnPw-1a2b3c",
}


def test_spcs043_redaction_filter(tmp_path, capsys):
    from app.logging_setup import setup_logging

    token = tmp_path / "token"
    token.write_text(FAKE_SECRETS["token"])
    settings = _spcs_settings(
        token,
        pg_password=FAKE_SECRETS["pg"],
        snowflake_pat=FAKE_SECRETS["pat"],
        pg_admin_dsn=f"host=127.0.0.1 user=flux_sync password={FAKE_SECRETS['dsn_pw']}",
    )
    root = logging.getLogger()
    before = list(root.handlers), root.level
    try:
        setup_logging(settings)
        log = logging.getLogger("flux.test")
        log.warning("connect kwargs %s", {"token": FAKE_SECRETS["token"], "password": FAKE_SECRETS["pg"]})
        log.warning("dsn host=db port=5432 user=flux_app password=%s sslmode=require", FAKE_SECRETS["pg"])
        log.warning("url postgresql://flux:%s@db.example:5432/flux", "other-url-secret-xyz")
        log.warning("headers {'Authorization': 'Snowflake Token=\"%s\"'}", "rotating-abc-123456")
        log.warning("admin dsn is %s", settings.postgres_admin_dsn())
        log.warning("pat used: %s", FAKE_SECRETS["pat"])
        token.write_text("h5FakeOAuthToken-rotated-555")  # the filter follows the rotation
        log.warning("new token %s", "h5FakeOAuthToken-rotated-555")
        try:
            raise RuntimeError(f"login failed for token {FAKE_SECRETS['token']}")
        except RuntimeError:
            log.exception("warehouse error")
        log.info("ordinary line for feeder SUB-001-C03")
    finally:
        root.handlers[:] = before[0]
        root.setLevel(before[1])
    out = capsys.readouterr().out
    lines = [json.loads(ln) for ln in out.splitlines()]
    assert len(lines) == 9
    for secret in [*FAKE_SECRETS.values(), "other-url-secret-xyz", "rotating-abc-123456", "h5FakeOAuthToken-rotated-555"]:
        assert secret not in out, secret
    assert all("***" in ln["msg"] for ln in lines[:-2])
    assert "***" in lines[-2]["exc"] and lines[-1]["msg"] == "ordinary line for feeder SUB-001-C03"


def test_spcs044_spcs_mode_server_shows_user_and_logs_no_secret(empty_stores, tmp_path):
    """The production command in SPCS mode: OAuth token file, secrets in env, real requests."""
    token = tmp_path / "token"
    token.write_text(FAKE_SECRETS["token"])
    env = {
        "FLUX_EMBEDDED": "false",
        # The local test database, so the dashboard serves; the DSN carries a password too.
        "FLUX_PG_DSN": (
            f"host=127.0.0.1 port={empty_stores.local_pg_port} dbname={empty_stores.pg_database} "
            f"user=flux_app passfile={empty_stores.pgpass_file}"
        ),
        "FLUX_PG_ADMIN_DSN": f"host=127.0.0.1 port=1 dbname=flux user=flux_sync password={FAKE_SECRETS['dsn_pw']}",
        "FLUX_SNOWFLAKE_PAT": FAKE_SECRETS["pat"],
        "SNOWFLAKE_ACCOUNT": "xy12345",
        # Loopback only: the fake warehouse, reached with OAuth from the token file.
        "SNOWFLAKE_HOST": "127.0.0.1",
        "SNOWFLAKE_PORT": str(empty_stores.local_warehouse_port),
        "SNOWFLAKE_PROTOCOL": "http",
        "FLUX_SNOWFLAKE_TOKEN_FILE": str(token),
        "FLUX_LOG_LEVEL": "DEBUG",
    }
    server = Server(env, tmp_path / "server.log")
    try:
        server.wait_ready()
        user = {"Sf-Context-Current-User": "GRID_OPERATOR_7"}
        secret_headers = {**user, "Authorization": f"Bearer {FAKE_SECRETS['token']}"}
        assert _get(server.port, "/healthz", secret_headers)[0] == 200
        assert _get(server.port, "/", user)[0] == 200
        # The warehouse answers through the real connector logged in with the token file
        # (the fake warehouse accepts any OAuth token).
        status, _, body = _get(server.port, "/readyz", secret_headers)
        assert status == 200 and json.loads(body)["warehouse"]["ok"] is True, body[:300]
        for path in ("/api/kpis", "/api/substations", "/api/weather"):
            status, _, _ = _get(server.port, path, secret_headers)
            assert status < 500
        # Secrets in a query string never reach the log either: only the path is logged.
        _get(server.port, f"/healthz?token={FAKE_SECRETS['token']}", user)
        payload, hdrs = _badge_request("GRID_OPERATOR_7")
        status, _, body = _get(server.port, "/_dash-update-component", hdrs, payload)
        assert status == 200 and json.loads(body)["response"]["header-user"]["children"] == "GRID_OPERATOR_7"
    finally:
        rc, _ = server.terminate()
    logs = server.logs()
    requests_logged = [r for r in server.json_lines() if r.get("event") == "request"]
    with_user = [r for r in requests_logged if r["user"] == "GRID_OPERATOR_7"]
    assert len(with_user) == 8, with_user
    # The rest are the readiness polls, which carry no user header.
    assert {(r["path"], r["user"]) for r in requests_logged if r not in with_user} <= {("/healthz", None)}
    for name, secret in FAKE_SECRETS.items():
        assert secret not in logs, f"{name} secret leaked into the logs"
    assert rc == 0


def test_spcs022_gunicorn_config_suits_sse(monkeypatch):
    import runpy

    monkeypatch.setenv("FLUX_BIND", "127.0.0.1:18999")
    conf = runpy.run_path(str(ROOT / "app" / "gunicorn_conf.py"))
    assert conf["bind"] == "127.0.0.1:18999"
    # A chat stream holds a thread for minutes: thread workers, many threads, and a heartbeat
    # timeout that a busy thread does not trip (the gthread main loop keeps heartbeating).
    # app/web_worker.py's FluxWorker is gthread with JSON errors and read deadlines.
    from gunicorn.util import load_class
    from gunicorn.workers.gthread import ThreadWorker

    assert issubclass(load_class(conf["worker_class"]), ThreadWorker)
    assert conf["workers"] * conf["threads"] >= 32
    assert conf["preload_app"] is False  # pools open after the fork
    assert 5 <= conf["graceful_timeout"] <= 30  # SPCS/Kubernetes kill after 30 s
    assert conf["control_socket_disable"] is True
    assert conf["accesslog"] is None  # the app's own request log carries the user
    assert conf["logconfig_dict"]["handlers"]["flux-json-stdout"]["filters"] == ["redact"]
    monkeypatch.delenv("FLUX_BIND")
    assert runpy.run_path(str(ROOT / "app" / "gunicorn_conf.py"))["bind"] == "0.0.0.0:8080"


def test_spcs023_sync_job_runs_a_real_module():
    import importlib.util

    job = yaml.safe_load((SPCS / "sync_job.yaml").read_text())
    command = job["spec"]["containers"][0]["command"]
    assert command[:2] == ["python", "-m"]
    assert importlib.util.find_spec(command[2]) is not None, f"{command[2]} is not in the image"
    # The module accepts the job's arguments: with a table it does not know it stops at argument
    # checking (exit 2, "unknown tables") instead of complaining about the job's own flags.
    probe = subprocess.run(
        [sys.executable, *command[1:], "--tables", "h5_no_such_table"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert probe.returncode == 2 and "unknown tables" in probe.stderr, probe.stderr[-500:]
    # ... and its package is one the Dockerfile copies.
    assert f"COPY --chown=root:root {command[2].split('.')[0]}/ " in _dockerfile()


def test_spcs050_warehouse_sql_creates_customer_search_and_a_two_tool_agent():
    """The generated file deploy.sh runs (06_warehouse.sql) creates the original's Customer 360
    search service, grants it to the service role, and gives the agent the search tool beside
    the analyst, each tool with its resources."""
    from data.chat.agent.deploy_sql import OUTPUT, SEARCH_ATTRIBUTES, render

    text = render()
    assert OUTPUT.read_text() == text
    assert "semantic_view.sql" in (SPCS / "sql" / "06_warehouse.sql").read_text()
    statements = _split(text)
    kinds = [check_statement(s) for s in statements]
    assert all(problem is None for _, problem in kinds), kinds
    search = [s for s in statements if s.lstrip().upper().startswith("CREATE OR REPLACE CORTEX SEARCH SERVICE")]
    assert len(search) == 1
    flat = " ".join(search[0].split())
    assert flat.startswith("CREATE OR REPLACE CORTEX SEARCH SERVICE FLUX.PRODUCTION.CUSTOMER_SEARCH_SERVICE ON SEARCH_TEXT")
    assert f"ATTRIBUTES {', '.join(SEARCH_ATTRIBUTES)}" in flat
    for attr in ("CUSTOMER_ID", "PRIMARY_METER_ID", "CITY", "SEGMENT"):
        assert attr in SEARCH_ATTRIBUTES
    for clause in ("WAREHOUSE = FLUX_WH", "TARGET_LAG = '1 hour'", "EMBEDDING_MODEL = 'snowflake-arctic-embed-l-v2.0'",
                   "FROM FLUX.PRODUCTION.CUSTOMERS_MASTER_DATA"):
        assert clause in flat
    query = sqlglot.parse_one(flat[flat.index(" AS (") + 5:-1], read="snowflake")
    selected = {e.alias_or_name.upper() for e in query.expressions}
    assert {"SEARCH_TEXT", "FULL_NAME", "SERVICE_ADDRESS", *SEARCH_ATTRIBUTES} <= selected
    # the service exists before the agent that names it
    order = [" ".join(s.split())[:40] for s in statements]
    agent_at = next(i for i, s in enumerate(order) if s.startswith("CREATE OR REPLACE AGENT"))
    assert statements.index(search[0]) < agent_at
    spec = yaml.safe_load(re.search(r"FROM SPECIFICATION\s+\$\$(.*)\$\$", statements[agent_at], re.S).group(1))
    tools = {t["tool_spec"]["name"]: t["tool_spec"]["type"] for t in spec["tools"]}
    assert tools == {"grid_analyst": "cortex_analyst_text_to_sql", "customer_search": "cortex_search"}
    assert set(spec["tool_resources"]) == set(tools)
    assert spec["tool_resources"]["customer_search"] == {
        "search_service": "FLUX.PRODUCTION.CUSTOMER_SEARCH_SERVICE", "id_column": "CUSTOMER_ID",
        "title_column": "FULL_NAME", "max_results": 10}
    assert spec["tool_resources"]["grid_analyst"]["semantic_view"] == "FLUX.PRODUCTION.FLUX_GRID"
    grants = [" ".join(s.split()) for s in statements if s.lstrip().upper().startswith("GRANT")]
    assert "GRANT USAGE ON CORTEX SEARCH SERVICE FLUX.PRODUCTION.CUSTOMER_SEARCH_SERVICE TO ROLE FLUX_SERVICE" in grants
    assert "GRANT USAGE ON AGENT FLUX.PRODUCTION.FLUX_GRID_AGENT TO ROLE FLUX_SERVICE" in grants
    # another database / warehouse renders every name through
    other = render(database="OPS", schema="GRID", warehouse="OPS_WH")
    assert "CORTEX SEARCH SERVICE OPS.GRID.CUSTOMER_SEARCH_SERVICE" in other and "WAREHOUSE = OPS_WH" in other
    assert "search_service: OPS.GRID.CUSTOMER_SEARCH_SERVICE" in other
    # deploy.sh uploads the file, runs 06, and checks that the service exists
    script = (SPCS / "deploy.sh").read_text()
    assert 'for f in data/etl/sql/warehouse/*.sql' in script and "sql_file spcs/sql/06_warehouse.sql" in script
    assert "SHOW CORTEX SEARCH SERVICES LIKE 'CUSTOMER_SEARCH_SERVICE' IN SCHEMA FLUX.PRODUCTION" in script
