"""The YAML rubric of a prompt benchmark: cases, the prompts compared, assertions, the 0/1/2 grid.

Every assertion type is one pydantic model, picked by its `type`; a `not-` prefix negates it
(`not-contains`), so each model accepts its own name with and without the prefix.
"""

from __future__ import annotations

import difflib
import re
from typing import Annotated, Any, Literal

import jsonschema
from pydantic import BeforeValidator, Discriminator, Field, Tag, field_validator, model_validator

from grader.specfile import Spec

JsonSchema = dict[str, Any]


class AssertionBase(Spec):
    """Fields every assertion has: how much it counts, where it applies, its threshold."""

    weight: float = Field(default=1.0, ge=0)  # 0: shown in the report, not counted
    prompts: list[str] | None = None  # only for these prompt ids; all prompts when absent
    metric: str | None = None  # a name to group assertions by in the report

    @property
    def kind(self) -> str:
        return str(getattr(self, "type")).removeprefix("not-")  # noqa: B009

    @property
    def negated(self) -> bool:
        return str(getattr(self, "type")).startswith("not-")  # noqa: B009


class Equals(AssertionBase):
    """The output is exactly the value, as in promptfoo; an object or list: JSON equality."""

    type: Literal["equals", "not-equals"]
    value: str | int | float | dict[str, Any] | list[Any] | None = None  # None: the case's expected


class EqualsNormalised(AssertionBase):
    """The output equals the value once case, accents, punctuation and/or whitespace are
    ignored (all four by default): grader's French variant of `equals`."""

    type: Literal["equals-normalised", "not-equals-normalised"]
    value: str | int | float | None = None
    ignore: tuple[Literal["case", "accents", "punctuation", "whitespace"], ...] = (
        "case",
        "accents",
        "punctuation",
        "whitespace",
    )


class Contains(AssertionBase):
    type: Literal["contains", "not-contains", "icontains", "not-icontains"]
    value: str | int | float | None = None


class ContainsSome(AssertionBase):
    type: Literal[
        "contains-any",
        "not-contains-any",
        "contains-all",
        "not-contains-all",
        "icontains-any",
        "not-icontains-any",
        "icontains-all",
        "not-icontains-all",
    ]
    value: list[str] = Field(min_length=1)


class StartsWith(AssertionBase):
    type: Literal["starts-with", "not-starts-with"]
    value: str | None = None


class Regex(AssertionBase):
    type: Literal["regex", "not-regex"]
    value: str
    ignore_case: bool = False

    @field_validator("value")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"invalid regular expression: {exc}") from None
        return pattern


def _check_schema(schema: JsonSchema | None) -> JsonSchema | None:
    if schema is not None:
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as exc:
            raise ValueError(f"invalid JSON schema: {exc.message}") from None
    return schema


class IsJson(AssertionBase):
    """The whole output (spaces trimmed) parses as JSON, and matches `value` if it is a schema."""

    type: Literal["is-json", "not-is-json"]
    value: JsonSchema | None = None

    _valid_schema = field_validator("value")(_check_schema)


class JsonSchemaAssertion(AssertionBase):
    """The output is JSON valid against the schema (the case's `schema` when `value` is absent)."""

    type: Literal["json-schema", "not-json-schema"]
    value: JsonSchema | None = None

    _valid_schema = field_validator("value")(_check_schema)


class ContainsJson(AssertionBase):
    """Some JSON object or array inside the output (a fenced ```json block first) parses, and
    matches `value` if it is a schema."""

    type: Literal["contains-json", "not-contains-json"]
    value: JsonSchema | None = None

    _valid_schema = field_validator("value")(_check_schema)


class Markup(AssertionBase):
    """`is-xml`/`contains-xml`: well-formed XML (the whole output, or a fragment in it), with
    the elements named in `value` ("root.child", comma-separated or a list); `is-html` /
    `contains-html`: HTML elements, the whole output or inside it."""

    type: Literal[
        "is-xml", "not-is-xml", "contains-xml", "not-contains-xml",
        "is-html", "not-is-html", "contains-html", "not-contains-html",
    ]  # fmt: skip
    value: str | list[str] | None = None

    @model_validator(mode="after")
    def _paths_for_xml_only(self) -> Markup:
        if self.value is not None and "html" in self.type:
            raise ValueError(f"'{self.type}' takes no value")
        return self

    @property
    def required_paths(self) -> list[str]:
        if self.value is None:
            return []
        parts = self.value.split(",") if isinstance(self.value, str) else self.value
        return [part.strip() for part in parts if part.strip()]


class SqlOptions(Spec):
    database_type: str | None = Field(default=None, alias="databaseType")  # a sqlglot dialect
    allowed_tables: list[str] | None = Field(default=None, alias="allowedTables")


class IsSql(AssertionBase):
    """The output (or, for contains-sql, a fenced ```sql block or the output) parses as SQL
    (sqlglot), using only `allowedTables` when given."""

    type: Literal["is-sql", "not-is-sql", "contains-sql", "not-contains-sql"]
    value: SqlOptions | None = None

    @field_validator("value")
    @classmethod
    def _known_dialect(cls, value: SqlOptions | None) -> SqlOptions | None:
        if value is not None and value.database_type is not None:
            from sqlglot.dialects.dialect import Dialect

            try:
                Dialect.get_or_raise(value.database_type.lower())
            except ValueError as exc:
                raise ValueError(f"unknown databaseType: {exc}") from None
        return value


class WordRange(Spec):
    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> WordRange:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        return self


class WordCount(AssertionBase):
    """The number of words (runs of non-space characters) is `value`, or within min..max."""

    type: Literal["word-count", "not-word-count"]
    value: int | WordRange = Field(union_mode="left_to_right")

    @field_validator("value")
    @classmethod
    def _not_negative(cls, value: int | WordRange) -> int | WordRange:
        if isinstance(value, int) and value < 0:
            raise ValueError("a word count cannot be negative")
        return value


class Levenshtein(AssertionBase):
    """Edit distance to the value (rapidfuzz) at most `threshold` characters."""

    type: Literal["levenshtein", "not-levenshtein"]
    value: str | None = None
    threshold: int = Field(default=5, ge=0)
    normalize: bool = False  # compare after the `equals` normalisation


class RougeN(AssertionBase):
    """`rouge-n`: promptfoo's ROUGE-N recall (js-rouge); `rouge-f1`: grader's F-measure on
    French words kept whole (accents, elisions), case ignored."""

    type: Literal["rouge-n", "not-rouge-n", "rouge-f1", "not-rouge-f1"]
    value: str | None = None
    n: int = Field(default=1, ge=1, le=4)
    threshold: float = Field(default=0.75, ge=0, le=1)


class Bleu(AssertionBase):
    """`bleu` and `gleu` as promptfoo computes them (lower-cased words split on spaces), chrF
    (sacrebleu); all on a 0-1 scale, against one reference or the best of several."""

    type: Literal["bleu", "not-bleu", "gleu", "not-gleu", "chrf", "not-chrf"]
    value: str | list[str] | None = None
    threshold: float = Field(default=0.5, ge=0, le=1)


class Meteor(AssertionBase):
    """METEOR with promptfoo's parameters; exact then stem matches (no WordNet synonyms)."""

    type: Literal["meteor", "not-meteor"]
    value: str | list[str] | None = None
    threshold: float = Field(default=0.5, ge=0, le=1)
    language: Literal["english", "french"] = "english"  # the Snowball stemmer's
    alpha: float = Field(default=0.9, ge=0, le=1)
    beta: float = Field(default=3.0, ge=0)
    gamma: float = Field(default=0.5, ge=0, le=1)


class Similar(AssertionBase):
    """Cosine of MiniLM embeddings with any of the values; the threshold is calibrated if absent."""

    type: Literal["similar", "not-similar"]
    value: str | list[str] | None = None
    threshold: float | None = Field(default=None, ge=-1, le=1)


class PythonAssertion(AssertionBase):
    """An instructor's function `file.py:name` (next to the rubric), called as f(output, case).

    It returns a bool, a number in [0, 1] compared with `threshold`, or (number, reason).
    """

    type: Literal["python", "not-python"]
    value: str
    threshold: float = Field(default=0.5, ge=0, le=1)

    @field_validator("value")
    @classmethod
    def _file_and_name(cls, value: str) -> str:
        if not re.fullmatch(r"[^:]+\.py:[A-Za-z_]\w*", value):
            raise ValueError(f"expected 'file.py:function', got {value!r}")
        return value


class ModelGraded(AssertionBase):
    """Graded by the rubric's `judge` model: `llm-rubric` (value: the rubric), `factuality`
    (value: the reference, else the case's expected), `answer-relevance` (the case's input)."""

    type: Literal[
        "llm-rubric", "not-llm-rubric", "factuality", "not-factuality",
        "answer-relevance", "not-answer-relevance",
    ]  # fmt: skip
    value: str | None = None
    threshold: float | None = Field(default=None, ge=0, le=1)

    @model_validator(mode="after")
    def _rubric_given(self) -> ModelGraded:
        if self.kind == "llm-rubric" and not (self.value or "").strip():
            raise ValueError("'llm-rubric' needs the rubric as its value")
        if self.kind == "answer-relevance" and self.value is not None:
            raise ValueError("'answer-relevance' takes no value: it compares with the input")
        return self


class Perplexity(AssertionBase):
    """The output's perplexity under a local causal model is at most `threshold`."""

    type: Literal["perplexity", "not-perplexity"]
    threshold: float = Field(gt=1)
    model: str = Field(default="gpt2", min_length=1)  # a folder next to the rubric, or a Hub id


class Classifier(AssertionBase):
    """A local text-classification model gives the label `value` at least `threshold`."""

    type: Literal["classifier", "not-classifier"]
    value: str = Field(min_length=1)
    model: str = Field(min_length=1)  # a folder next to the rubric, or a Hub id in the mirror
    threshold: float = Field(default=0.5, ge=0, le=1)


class JudgeEndpoint(Spec):
    """An OpenAI-compatible endpoint for the model-graded assertions."""

    base_url: str = Field(min_length=1)  # e.g. http://127.0.0.1:8000/v1
    model: str = Field(min_length=1)
    api_key_env: str | None = None  # the environment variable holding the key, if any


_TAGS = {
    "chrf": "bleu", "gleu": "bleu", "equals-normalised": "equals-normalised",
    "rouge-f1": "rouge-n", "contains-json": "contains-json", "is-xml": "markup",
    "contains-xml": "markup", "is-html": "markup", "contains-html": "markup",
    "contains-sql": "is-sql", "llm-rubric": "model-graded", "factuality": "model-graded",
    "answer-relevance": "model-graded",
}  # fmt: skip


def _assertion_tag(value: Any) -> str | None:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    if not isinstance(kind, str):
        return None
    base = kind.removeprefix("not-")
    if base in _TAGS:
        return _TAGS[base]
    if base.startswith("icontains") or base.startswith("contains"):
        return "contains" if base in ("contains", "icontains") else "contains-some"
    return base


ASSERTION_TYPES = (
    "equals", "equals-normalised", "contains", "icontains", "contains-any", "contains-all",
    "icontains-any", "icontains-all", "starts-with", "regex", "is-json", "contains-json",
    "json-schema", "is-xml", "contains-xml", "is-html", "contains-html", "is-sql",
    "contains-sql", "word-count", "levenshtein", "rouge-n", "rouge-f1", "bleu", "gleu", "chrf",
    "meteor", "similar", "python", "assert-set", "llm-rubric", "factuality", "answer-relevance",
    "perplexity", "classifier",
)  # fmt: skip


def _known_type(value: Any) -> Any:
    """Name the unknown type with a did-you-mean, rather than pydantic's union error."""
    if not isinstance(value, dict):
        return value
    kind = value.get("type")
    if kind is None:
        raise ValueError("missing 'type'; expected one of: " + ", ".join(ASSERTION_TYPES))
    if str(kind).removeprefix("not-") not in ASSERTION_TYPES:
        close = difflib.get_close_matches(str(kind), ASSERTION_TYPES, n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ValueError(
            f"unknown assertion type {kind!r}{hint}; expected one of: "
            + ", ".join(ASSERTION_TYPES)
            + " (each may be prefixed with 'not-')"
        )
    return value


class AssertSet(AssertionBase):
    """A group of assertions that passes when the weighted share of its passing members reaches
    `threshold` (all of them by default); it counts as one assertion with its own weight."""

    type: Literal["assert-set"]
    assertions: tuple[Assertion, ...] = Field(alias="assert", min_length=1)
    threshold: float | None = Field(default=None, ge=0, le=1)


Assertion = Annotated[
    Annotated[Equals, Tag("equals")]
    | Annotated[EqualsNormalised, Tag("equals-normalised")]
    | Annotated[Contains, Tag("contains")]
    | Annotated[ContainsSome, Tag("contains-some")]
    | Annotated[StartsWith, Tag("starts-with")]
    | Annotated[Regex, Tag("regex")]
    | Annotated[IsJson, Tag("is-json")]
    | Annotated[ContainsJson, Tag("contains-json")]
    | Annotated[JsonSchemaAssertion, Tag("json-schema")]
    | Annotated[Markup, Tag("markup")]
    | Annotated[IsSql, Tag("is-sql")]
    | Annotated[WordCount, Tag("word-count")]
    | Annotated[Levenshtein, Tag("levenshtein")]
    | Annotated[RougeN, Tag("rouge-n")]
    | Annotated[Bleu, Tag("bleu")]
    | Annotated[Meteor, Tag("meteor")]
    | Annotated[Similar, Tag("similar")]
    | Annotated[PythonAssertion, Tag("python")]
    | Annotated[ModelGraded, Tag("model-graded")]
    | Annotated[Perplexity, Tag("perplexity")]
    | Annotated[Classifier, Tag("classifier")]
    | Annotated[AssertSet, Tag("assert-set")],
    Discriminator(_assertion_tag),
    BeforeValidator(_known_type),
]
AssertSet.model_rebuild()


class Prompt(Spec):
    id: str = Field(min_length=1)
    title: str = ""
    template: str | None = None  # "{input}" is replaced by the case's input


class Case(Spec):
    id: str = Field(min_length=1)
    input: str
    expected: str | None = None  # the expected label, or a reference answer
    schema_: JsonSchema | None = Field(default=None, alias="schema")
    assertions: tuple[Assertion, ...] = Field(default=(), alias="assert")
    threshold: float | None = Field(default=None, gt=0, le=1)  # share for a 2, instead of grid.full

    _valid_schema = field_validator("schema_")(_check_schema)


class Grid(Spec):
    """From the weighted share of passed assertions to the course's 0 / 1 / 2."""

    full: float = Field(default=1.0, gt=0, le=1)  # share at or above: 2
    partial: float = Field(default=0.5, gt=0, le=1)  # share at or above: 1; below: 0

    @model_validator(mode="after")
    def _ordered(self) -> Grid:
        if self.partial > self.full:
            raise ValueError(f"partial ({self.partial}) must not exceed full ({self.full})")
        return self


class SetMetric(Spec):
    """A classification metric over all cases of a prompt: the label read from each output."""

    type: Literal["accuracy", "macro-f1"]
    extract: str | None = None  # a regex whose first group (or whole match) holds the label

    @field_validator("extract")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"invalid regular expression: {exc}") from None
        return pattern


class SimilarPair(Spec):
    """Two texts and whether an instructor counts them as saying the same thing."""

    a: str
    b: str
    same: bool


class BenchRubric(Spec):
    id: str = Field(min_length=1)
    title: str = ""
    prompts: list[Prompt] = Field(min_length=1)
    cases: list[Case] = Field(min_length=1)
    default_assert: tuple[Assertion, ...] = ()  # applied to every case, before the case's own
    grid: Grid = Grid()
    labels: tuple[str, ...] = ()  # the classes, for set-level metrics
    metrics: tuple[SetMetric, ...] = ()
    similar_examples: tuple[SimilarPair, ...] = ()  # to calibrate `similar` thresholds
    judge: JudgeEndpoint | None = None  # for llm-rubric, factuality, answer-relevance
