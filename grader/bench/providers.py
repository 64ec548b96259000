"""Model providers: regenerate a student's outputs by running their prompts through a model.

Two kinds: an OpenAI-compatible HTTP endpoint (base URL + model, e.g. a vLLM or llama.cpp server
the instructor runs), and a local transformers text-generation pipeline on a model directory of
the offline mirror. Both decode deterministically so a regrade gives the same outputs.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from grader.bench.rubric import Case
from grader.bench.scoring import RecordedOutput
from grader.errors import GraderError


class ProviderError(GraderError):
    """The model could not be reached or answered something that is not a completion."""


class Provider(Protocol):
    def generate(self, prompt: str) -> str: ...


@dataclass(frozen=True)
class OpenAICompatible:
    """POST {base_url}/chat/completions with one user message; greedy by default."""

    base_url: str  # e.g. "http://127.0.0.1:8000/v1"
    model: str
    api_key: str | None = None
    temperature: float = 0.0
    max_tokens: int = 256
    seed: int | None = 0
    timeout_s: float = 60.0

    def generate(self, prompt: str) -> str:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": "user", "content": prompt}],
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
        }
        if self.seed is not None:
            body["seed"] = self.seed
        url = self.base_url.rstrip("/") + "/chat/completions"
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(
            url, data=json.dumps(body).encode(), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                payload = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode(errors="replace")
            raise ProviderError(f"{url}: HTTP {exc.code} {exc.reason}: {detail}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ProviderError(f"{url}: cannot reach the model server ({reason})") from None
        try:
            content = json.loads(payload)["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            shown = payload[:200].decode(errors="replace")
            raise ProviderError(
                f"{url}: expected an OpenAI chat completion (choices[0].message.content), "
                f"got {shown!r}"
            ) from None
        if not isinstance(content, str):
            raise ProviderError(f"{url}: the completion's content is not a text: {content!r}")
        return content


class LocalPipeline:
    """A transformers text-generation pipeline on a local model directory, never a hub.

    Greedy decoding by default; with `do_sample=True` the seed is set before each prompt so
    each output depends only on its prompt, not on the order prompts are run in.
    """

    def __init__(
        self,
        model_dir: str | Path,
        max_new_tokens: int = 40,
        seed: int = 0,
        do_sample: bool = False,
        temperature: float = 1.0,
        top_k: int = 50,
    ) -> None:
        self.model_dir = Path(model_dir)
        if not self.model_dir.is_dir():
            raise ProviderError(f"{self.model_dir}: no such model directory")
        self.max_new_tokens = max_new_tokens
        self.seed = seed
        self.do_sample = do_sample
        self.temperature = temperature
        self.top_k = top_k
        self._pipeline: Any = None

    def _load(self) -> Any:
        os.environ["HF_HUB_OFFLINE"] = "1"
        from transformers import AutoModelForCausalLM, AutoTokenizer, pipeline

        tokenizer = AutoTokenizer.from_pretrained(str(self.model_dir), local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(str(self.model_dir), local_files_only=True)
        return pipeline("text-generation", model=model, tokenizer=tokenizer, device="cpu")

    def generate(self, prompt: str) -> str:
        from transformers import set_seed

        if self._pipeline is None:
            self._pipeline = self._load()
        set_seed(self.seed)
        decoding: dict[str, Any] = {"do_sample": self.do_sample}
        if self.do_sample:
            decoding.update(temperature=self.temperature, top_k=self.top_k)
        tokenizer = self._pipeline.tokenizer
        answers = self._pipeline(
            prompt,
            max_new_tokens=self.max_new_tokens,
            return_full_text=False,
            pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id,
            **decoding,
        )
        return str(answers[0]["generated_text"])


def fill_prompt(template: str, case: Case) -> str:
    """The prompt for one case: "{input}" replaced by its input; other braces left alone,
    since few-shot and JSON prompts are full of them."""
    return template.replace("{input}", case.input)


def generate_outputs(
    provider: Provider,
    student: str,
    templates: Mapping[str, str],
    cases: Sequence[Case],
) -> list[RecordedOutput]:
    """Run each of the student's prompt templates (prompt id -> template) on every case."""
    return [
        RecordedOutput(student, case.id, prompt_id, provider.generate(fill_prompt(template, case)))
        for prompt_id, template in templates.items()
        for case in cases
    ]
