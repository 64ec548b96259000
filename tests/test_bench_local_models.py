"""`perplexity` and `classifier` on local models: a GPT-2 with the real vocabulary and a BERT
classifier, both tiny random-weight models the test saves, checked against torch directly."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.bench.assertions import evaluate
from grader.bench.cli import bench
from grader.bench.grading import tools_for
from grader.bench.load import parse_rubric
from grader.bench.scoring import RecordedOutput, score_student
from grader.errors import ConfigError

pytestmark = [pytest.mark.slow, pytest.mark.torch]

RUBRIC = """\
id: modeles
prompts: [{id: p1}]
cases:
  - id: fluide
    input: avis
    assert:
      - {type: perplexity, model: gpt2-local, threshold: 1.0e9}
      - {type: perplexity, model: gpt2-local, threshold: 2}
      - {type: classifier, model: sentiment, value: positif, threshold: 0.0}
      - {type: classifier, model: sentiment, value: positif, threshold: 1.0}
"""
OUTPUT = "Le produit est arrivé vite, je suis ravi."


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    from grader.mirror.standins import tiny_gpt2
    from grader.references.tokenization import gpt2_tokenizer, minilm_tokenizer

    root = tmp_path_factory.mktemp("modeles")
    gpt2_tokenizer().save_pretrained(root / "gpt2-local")
    tiny_gpt2().save_pretrained(root / "gpt2-local")
    minilm_tokenizer().save_pretrained(root / "sentiment")
    config = BertConfig(
        vocab_size=30522, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=64, num_labels=2, id2label={0: "négatif", 1: "positif"},
        label2id={"négatif": 0, "positif": 1},
    )  # fmt: skip
    torch.manual_seed(0)
    BertForSequenceClassification(config).save_pretrained(root / "sentiment")
    (root / "modeles.yaml").write_text(RUBRIC, encoding="utf-8")
    return root


def test_perplexity_and_classifier_match_torch(folder: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer

    rubric = parse_rubric(RUBRIC, folder / "modeles.yaml")
    tools = tools_for(rubric)
    row = RecordedOutput("alice", "fluide", "p1", OUTPUT)
    [case] = score_student(rubric, "alice", [row], tools).prompts[0].cases
    loose, tight, any_class, certain = case.assertions

    tokenizer = AutoTokenizer.from_pretrained(folder / "gpt2-local")
    model = AutoModelForCausalLM.from_pretrained(folder / "gpt2-local").eval()
    ids = [tokenizer.bos_token_id, *tokenizer(OUTPUT)["input_ids"]]
    with torch.inference_mode():
        logits = model(torch.tensor([ids])).logits[0, :-1]
    picked = torch.log_softmax(logits, -1)[torch.arange(len(ids) - 1), torch.tensor(ids[1:])]
    expected = math.exp(-float(picked.mean()))
    assert loose.value == pytest.approx(expected, rel=1e-4)
    assert loose.passed and not tight.passed  # a random model is far above 2
    assert tools.models is not None
    assert math.isfinite(tools.models.perplexity("gpt2-local", "mot\ud800 seul"))
    assert math.isinf(tools.models.perplexity("gpt2-local", ""))
    empty = evaluate(rubric.spec.cases[0].assertions[0], "", rubric.spec.cases[0], tools)
    assert (empty.passed, empty.value) == (False, None)  # no Infinity in the JSON results
    assert empty.reason == "perplexité infinie (sortie vide) > 1e+09"
    assert tight.reason.startswith("perplexité ") and "> 2" in tight.reason

    classifier = AutoModelForSequenceClassification.from_pretrained(folder / "sentiment").eval()
    batch = AutoTokenizer.from_pretrained(folder / "sentiment")(OUTPUT, return_tensors="pt")
    with torch.inference_mode():
        positive = float(torch.softmax(classifier(**batch).logits[0], -1)[1])
    assert any_class.value == pytest.approx(positive, rel=1e-5)
    assert any_class.passed and not certain.passed
    assert sum(tools.models.classify("sentiment", "\ud800").values()) == pytest.approx(1.0)
    assert certain.reason.startswith("P(positif) = ")


def test_a_missing_model_stops_the_run_naming_the_line(folder: Path) -> None:
    text = RUBRIC.replace(
        "model: sentiment, value: positif, threshold: 0.0", "model: absent, value: x"
    )
    with pytest.raises(ConfigError, match=r"modeles\.yaml:9: cases\[0\]\.assert\[2\]\.model: "):
        tools_for(parse_rubric(text, folder / "modeles.yaml"))
    (folder / "s.csv").write_text(f"student,case,prompt,output\nalice,fluide,p1,{OUTPUT}\n")
    result = CliRunner().invoke(
        bench,
        ["score", str(folder / "modeles.yaml"), str(folder / "s.csv"), "--out", str(folder),
         "--mirror", str(folder / "pas-de-miroir")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output  # the folders next to the rubric win


def test_the_default_gpt2_is_read_from_the_mirror(folder: Path) -> None:
    from grader.mirror.build import GPT2, build_mirror

    mirror = build_mirror([GPT2], folder / "miroir").root
    rubric = parse_rubric(
        "id: m\nprompts: [{id: p1}]\ncases:\n  - id: c\n    input: avis\n"
        "    assert: [{type: perplexity, threshold: 1.0e9}]\n",
        folder / "m.yaml",
    )
    row = RecordedOutput("alice", "c", "p1", OUTPUT)
    [case] = (
        score_student(rubric, "alice", [row], tools_for(rubric, mirror=mirror)).prompts[0].cases
    )
    assert case.assertions[0].passed  # the mirror's stand-in: a number, not a meaningful one
    with pytest.raises(ConfigError, match=r"m\.yaml:6: cases\[0\]\.assert\[0\]\.model: .*mirror"):
        tools_for(rubric, mirror=folder / "pas-de-miroir")
