"""`manage.py chat`: the article's THOUGHT:/RESULT:/FINAL: lines in a terminal."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from conversations.models import ChatSession

pytestmark = pytest.mark.django_db(transaction=True)


def chat(*args: str) -> tuple[list[str], str]:
    out, err = StringIO(), StringIO()
    call_command("chat", *args, stdout=out, stderr=err)
    return out.getvalue().splitlines(), err.getvalue()


def test_math_agent_prints_each_step_and_the_answer():
    lines, _ = chat("--agent", "math", "add 2 and 2")
    labels = [line.split(":")[0] for line in lines]
    assert labels[:2] == ["USER", "INFO"]
    assert {"THOUGHT", "CALL", "RESULT", "FINAL", "DONE"} <= set(labels)
    assert "add" in next(line for line in lines if line.startswith("CALL:"))
    assert "4" in next(line for line in lines if line.startswith("FINAL:"))
    assert lines[-1].startswith("DONE: succeeded")


def test_geo_agent_answers_the_capital_of_france_and_continues_a_session():
    lines, err = chat("--agent", "geo", "What is the capital of France?")
    assert "Paris" in next(line for line in lines if line.startswith("FINAL:"))
    session_id = err.split()[1]
    lines, _ = chat("--session", session_id, "And what is its population?")
    answer = next(line for line in lines if line.startswith("FINAL:"))
    assert "Paris" in answer or "France" in answer
    assert ChatSession.objects.count() == 1


def test_json_flag_prints_envelopes():
    lines, _ = chat("--agent", "calculator", "--json", "add 1 and 1")
    envelopes = [json.loads(line) for line in lines]
    assert [e["seq"] for e in envelopes] == list(range(1, len(envelopes) + 1))
    assert envelopes[-1]["type"] == "run_finished"


def test_fork_sends_the_message_in_a_fork_and_leaves_the_session_as_it_was():
    _, err = chat("--agent", "math", "add 2 and 2")
    original = ChatSession.objects.get(pk=err.split()[1])
    boundary = original.last_seq
    lines, err = chat("--session", str(original.pk), "--fork", "0", "add 3 and 3")
    assert "6" in next(line for line in lines if line.startswith("FINAL:"))
    assert f"forked {original.pk} after event 0" in err
    fork = ChatSession.objects.exclude(pk=original.pk).get()
    assert (fork.parent_id, fork.forked_at) == (original.pk, 0)
    original.refresh_from_db()
    assert original.last_seq == boundary
    with pytest.raises(CommandError, match="not a run boundary"):
        chat("--session", str(original.pk), "--fork", "2", "again")
    with pytest.raises(CommandError, match="needs --session"):
        chat("--fork", "0", "again")


@pytest.mark.parametrize(
    "args", [["--agent", "nobody", "hi"], ["--session", "not-a-uuid", "hi"]], ids=str
)
def test_unknown_agent_or_session_is_a_clear_error(args):
    with pytest.raises(CommandError):
        chat(*args)


def test_a_gated_call_says_how_to_decide_and_leaves_the_run_waiting():
    lines, err = chat("--agent", "notes", "Save a note: call the bank")
    approval = next(line for line in lines if line.startswith("APPROVAL:"))
    assert 'save_note({"text": "call the bank"}) waits for the owner' in approval
    assert "/api/approvals/" in err and "/resolve/" in err
    session = ChatSession.objects.get()
    assert session.runs.get().status == "awaiting_approval"


def test_a_person_at_a_terminal_decides_at_the_prompt(monkeypatch):
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "not today")
    lines, _ = chat("--agent", "notes", "Save a note: call the bank")
    assert "DECIDED: rejected by cli: not today" in lines
    assert lines[-1].startswith("DONE: succeeded")
    assert "didn't save" in next(line for line in lines if line.startswith("FINAL:"))
