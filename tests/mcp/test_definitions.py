"""`[[mcp]]` tables in agent definitions, AGENT_DEFINITIONS folders, and the
`manage.py check` warning for a server that cannot start."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

from agents.mcp.config import McpServer
from agents.mcp.tools import tool_name
from agents.registry import DEFINITIONS_DIR, load_registry, validate_definitions

HEAD = 'name = "timely"\ndescription = "Tells the time."\n'
CLOCK = """
[[mcp]]
name = "clock"
command = "mcp-server-time"
args = ["--local-timezone", "UTC"]
tools = ["get_current_time"]
"""


def write(folder: Path, text: str, name: str = "timely") -> Path:
    path = folder / f"{name}.toml"
    path.write_text(HEAD + text, encoding="utf-8")
    return path


def test_stdio_and_http_servers_are_read(tmp_path) -> None:
    write(
        tmp_path,
        CLOCK
        + """
[[mcp]]
name = "remote"
url = "https://tools.example/mcp"
headers = { Authorization = "Bearer ${REMOTE_TOKEN}" }
timeout = 5
""",
    )
    spec = load_registry(tmp_path).get("timely")
    clock, remote = spec.mcp
    assert clock == McpServer(
        "clock",
        command="mcp-server-time",
        args=("--local-timezone", "UTC"),
        tools=("get_current_time",),
    )
    assert (clock.transport, remote.transport) == ("stdio", "http")
    assert remote.headers == (("Authorization", "Bearer ${REMOTE_TOKEN}"),)
    assert remote.tools is None and remote.timeout == 5.0
    assert spec.mcp_names == ("mcp_clock__get_current_time",)


def test_approval_can_name_an_allow_listed_mcp_tool_or_a_pattern(tmp_path) -> None:
    write(tmp_path, '[approval]\ntools = ["mcp_clock__get_current_time"]\n' + CLOCK)
    write(tmp_path, '[approval]\ntools = ["mcp_*"]\n' + CLOCK, name="patterned")
    (tmp_path / "patterned.toml").write_text(
        (tmp_path / "patterned.toml").read_text().replace("timely", "patterned")
    )
    registry = load_registry(tmp_path)
    assert registry.get("timely").approval.tools == ("mcp_clock__get_current_time",)
    assert registry.get("patterned").approval.tools == ("mcp_*",)
    write(tmp_path, '[approval]\ntools = ["mcp_clock__convert_time"]\n' + CLOCK)
    (error,) = validate_definitions(tmp_path)
    assert (
        error.field == "approval.tools" and "mcp_clock__convert_time" in error.message
    )


@pytest.mark.parametrize(
    ("table", "field", "message"),
    [
        ('name = "x"', "mcp[0].command", "either command (stdio) or url"),
        ('name = "x"\ncommand = "a"\nurl = "http://h/mcp"', "mcp[0].command", "either"),
        ('command = "a"', "mcp[0].name", "is required"),
        ('name = "Big Name"\ncommand = "a"', "mcp[0].name", "lower-case slug"),
        ('name = "x"\nurl = "ftp://h/mcp"', "mcp[0].url", "not an http(s) URL"),
        ('name = "x"\nurl = "http://h/mcp"\nargs = ["-v"]', "mcp[0].args", "stdio"),
        ('name = "x"\ncommand = "a"\nheaders = { A = "b" }', "mcp[0].headers", "HTTP"),
        ('name = "x"\ncommand = "a"\nargs = "-v"', "mcp[0].args", "list of strings"),
        (
            'name = "x"\ncommand = "a"\nenv = { A = 1 }',
            "mcp[0].env",
            "table of strings",
        ),
        ('name = "x"\ncommand = "a"\ntools = [1]', "mcp[0].tools", "list of strings"),
        ('name = "x"\ncommand = "a"\ntimeout = 0', "mcp[0].timeout", "above 0"),
        ('name = "x"\ncommand = "a"\ntimeout = true', "mcp[0].timeout", "number"),
        ('name = "x"\ncommand = ""', "mcp[0].command", "non-empty string"),
        ('name = "x"\ncommand = "a"\nport = 1', "mcp[0].port", "unknown field"),
    ],
)
def test_a_broken_table_is_named_by_its_index_and_field(
    tmp_path, table, field, message
) -> None:
    path = write(tmp_path, f"[[mcp]]\n{table}\n")
    errors = validate_definitions(tmp_path)
    assert [(e.path, e.field) for e in errors] == [(path, field)], errors
    assert message in errors[0].message


def test_two_servers_may_not_share_a_name(tmp_path) -> None:
    write(tmp_path, CLOCK + CLOCK)
    (error,) = validate_definitions(tmp_path)
    assert (error.field, error.message) == ("mcp[1].name", "'clock' is used twice")


def test_mcp_must_be_an_array_of_tables(tmp_path) -> None:
    write(tmp_path, 'mcp = "clock"\n')
    (error,) = validate_definitions(tmp_path)
    assert error.field == "mcp"


def test_names_are_safe_for_every_openai_compatible_server() -> None:
    assert tool_name("clock", "get_current_time") == "mcp_clock__get_current_time"
    assert tool_name("web", "fetch.page v2") == "mcp_web__fetch_page_v2"
    long_a, long_b = tool_name("s", "a" * 80), tool_name("s", "a" * 79 + "b")
    assert len(long_a) == len(long_b) == 64 and long_a != long_b


def test_agent_definitions_adds_folders_beside_the_bundled_one(tmp_path) -> None:
    write(tmp_path, CLOCK)
    registry = load_registry([DEFINITIONS_DIR, tmp_path])
    assert "timely" in registry and "geo" in registry
    (error,) = validate_definitions([DEFINITIONS_DIR, tmp_path / "missing"])
    assert (error.field, error.message) == ("folder", "is not a folder")


def test_check_warns_of_a_server_that_cannot_start(tmp_path, settings, capsys) -> None:
    write(
        tmp_path,
        """
[[mcp]]
name = "gone"
command = "no-such-mcp-server"

[[mcp]]
name = "secret"
url = "https://tools.example/mcp"
headers = { Authorization = "Bearer ${AGENTSITE_NO_SUCH_TOKEN}" }
""",
    )
    settings.AGENT_DEFINITION_DIRS = [tmp_path]
    call_command("check")
    said = capsys.readouterr().err
    assert "agents.W002" in said
    assert "MCP server 'gone' cannot start: command 'no-such-mcp-server'" in said
    assert (
        "MCP server 'secret' cannot start: ${AGENTSITE_NO_SUCH_TOKEN} not set" in said
    )


def test_the_bundled_clock_server_passes_the_check(settings, capsys) -> None:
    call_command("check")
    assert "agents.W002" not in capsys.readouterr().err
