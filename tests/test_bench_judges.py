"""Model-graded assertions (llm-rubric, factuality, answer-relevance) against a judge served on
127.0.0.1 by the test, speaking the OpenAI chat-completions protocol; refused without one."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from grader.bench.cli import bench
from grader.bench.grading import tools_for
from grader.bench.load import parse_rubric
from grader.bench.rubric import JudgeEndpoint
from grader.errors import ConfigError
from tests.conftest import local_endpoint


class JudgeServer(BaseHTTPRequestHandler):
    """A judge with fixed habits: it passes answers that say "positif", says the facts agree
    (C) when the submission names Paris and disagree (D) otherwise, and reconstructs the
    question "Quel est le sentiment de l'avis ?"; some replies are deliberately broken."""

    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        JudgeServer.received.append({"auth": self.headers.get("Authorization"), "body": body})
        prompt = body["messages"][0]["content"]
        answer = prompt.rsplit("<answer>", 1)[-1] if "<answer>" in prompt else ""
        if "<rubric>" in prompt:
            if "bavard" in answer:
                content = "Je pense que oui."  # no JSON at all
            elif "sans-pass" in answer:
                content = '{"score": 0, "reason": "rien"}'  # no pass: score 0 fails
            else:
                ok = "positif" in answer
                content = (
                    "Voici mon avis :\n```json\n"
                    + json.dumps(
                        {"reason": "cite le label", "pass": ok, "score": 0.8 if ok else 0.1}
                    )
                    + "\n```"
                )
        elif "<expert>" in prompt:
            submission = prompt.rsplit("<submission>", 1)[-1]
            letter = "C" if "Paris" in submission else "D"
            content = json.dumps({"choice": f"({letter})", "reason": "comparé"})
        else:
            content = "Quel est le sentiment de l'avis ?"
        reply = {"choices": [{"message": {"role": "assistant", "content": content}}]}
        payload = json.dumps(reply, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def judge_url() -> Iterator[str]:
    with local_endpoint(JudgeServer) as url:
        yield url


RUBRIC = """\
id: juge
prompts: [{id: p1}]
cases:
  - id: avis
    input: "Livraison rapide, je recommande."
    expected: positif
    assert:
      - {type: llm-rubric, value: "La réponse donne le bon sentiment", threshold: 0.5}
  - id: capitale
    input: "Quelle est la capitale de la France ?"
    expected: "Paris est la capitale de la France."
    assert:
      - {type: factuality}
"""
TABLE = (
    "student,case,prompt,output\n"
    "alice,avis,p1,positif\n"
    "alice,capitale,p1,C'est Paris.\n"
    "bob,avis,p1,négatif\n"
    "bob,capitale,p1,C'est Lyon.\n"
    "carol,avis,p1,bavard\n"
    "carol,capitale,p1,Paris\n"
    "dan,avis,p1,sans-pass\n"
)


def _files(tmp_path: Path, rubric: str = RUBRIC) -> tuple[Path, Path]:
    (tmp_path / "juge.yaml").write_text(rubric, encoding="utf-8")
    (tmp_path / "sorties.csv").write_text(TABLE, encoding="utf-8")
    return tmp_path / "juge.yaml", tmp_path / "sorties.csv"


def test_without_an_endpoint_model_graded_assertions_are_refused(tmp_path: Path) -> None:
    rubric, table = _files(tmp_path)
    result = CliRunner().invoke(bench, ["score", str(rubric), str(table), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert re.match(
        r"grader: .*juge\.yaml:8: cases\[0\]\.assert\[0\]: llm-rubric, factuality and answer-relevance",
        result.output,
    )
    assert "--judge-url" in result.output
    assert not (tmp_path / "results").exists()
    with pytest.raises(ConfigError, match="environment variable GRADER_TEST_UNSET_KEY"):
        keyed = (
            RUBRIC
            + "judge: {base_url: http://127.0.0.1:9/v1, model: m, api_key_env: GRADER_TEST_UNSET_KEY}\n"
        )
        tools_for(parse_rubric(keyed, rubric))


def test_the_judge_grades_through_the_cli(tmp_path: Path, judge_url: str) -> None:
    rubric, table = _files(tmp_path)
    JudgeServer.received = []
    result = CliRunner().invoke(
        bench,
        ["score", str(rubric), str(table), "--out", str(tmp_path), "--judge-url", judge_url,
         "--judge-model", "juge-local", "--format", "json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    scores = {
        (r["student"], c["case"]): c["assertions"][0]
        for r in json.loads(result.stdout)
        for c in r["prompts"][0]["cases"]
        if c["assertions"]
    }
    assert scores["alice", "avis"]["passed"] and scores["alice", "avis"]["value"] == 0.8
    assert scores["alice", "avis"]["reason"] == "juge : cite le label"
    assert not scores["bob", "avis"]["passed"]
    assert scores["carol", "avis"]["reason"].startswith("juge : réponse du juge illisible")
    assert not scores["dan", "avis"]["passed"]  # no `pass`, score 0: a fail, as in promptfoo
    assert scores["alice", "capitale"]["passed"]
    assert (
        scores["alice", "capitale"]["reason"] == "juge : (C) mêmes faits que la référence : comparé"
    )
    assert not scores["bob", "capitale"]["passed"]
    assert scores["bob", "capitale"]["value"] == 0.0
    sent = JudgeServer.received[0]["body"]
    assert sent["model"] == "juge-local" and sent["temperature"] == 0.0
    prompts = [r["body"]["messages"][0]["content"] for r in JudgeServer.received]
    assert any(
        "La réponse donne le bon sentiment" in p and "<answer>\npositif" in p for p in prompts
    )
    assert any("Paris est la capitale de la France." in p and "C'est Lyon." in p for p in prompts)


def test_an_unreachable_judge_is_an_error_not_a_fail(tmp_path: Path) -> None:
    rubric, table = _files(tmp_path)
    result = CliRunner().invoke(
        bench,
        ["score", str(rubric), str(table), "--out", str(tmp_path),
         "--judge-url", "http://127.0.0.1:9/v1", "--judge-model", "m"],
    )  # fmt: skip
    assert result.exit_code == 1  # some assertion could not be judged
    alice = json.loads((tmp_path / "results/alice.json").read_text(encoding="utf-8"))
    judged = alice["prompts"][0]["cases"][0]["assertions"][0]
    assert judged["error"] and "le juge n'a pas pu noter" in judged["reason"]


@pytest.mark.slow
def test_answer_relevance_compares_the_reconstructed_question(
    tmp_path: Path, judge_url: str
) -> None:
    rubric = parse_rubric(
        """\
id: pertinence
prompts: [{id: p1}]
cases:
  - id: proche
    input: "Quel est le sentiment de l'avis ?"
    assert: [{type: answer-relevance}]
  - id: loin
    input: "Combien pèse le colis livré mardi ?"
    assert: [{type: answer-relevance, threshold: 0.9}]
""",
        tmp_path / "pertinence.yaml",
    )
    from grader.bench.scoring import RecordedOutput, score_student

    tools = tools_for(rubric, judge=JudgeEndpoint(base_url=judge_url, model="juge-local"))
    rows = [RecordedOutput("alice", case, "p1", "positif") for case in ("proche", "loin")]
    cases = score_student(rubric, "alice", rows, tools).prompts[0].cases
    near, far = (c.assertions[0] for c in cases)
    assert near.passed and near.value is not None and near.value > 0.99  # the same question
    assert not far.passed and far.value is not None and far.value < 0.9
    assert near.reason == "juge : question reconstituée : Quel est le sentiment de l'avis ?"
