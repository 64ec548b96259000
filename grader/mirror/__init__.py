"""The offline model mirror: a Hugging Face cache that kernels load their models from."""

from grader.mirror.build import (
    DEFAULT_MODELS,
    GPT2,
    MINILM,
    TINY_BERT,
    Mirror,
    MirroredModel,
    build_mirror,
    mirror_env,
    read_marker,
)
from grader.mirror.layout import DEFAULT_ROOT

__all__ = [
    "DEFAULT_MODELS",
    "DEFAULT_ROOT",
    "GPT2",
    "MINILM",
    "TINY_BERT",
    "Mirror",
    "MirroredModel",
    "build_mirror",
    "mirror_env",
    "read_marker",
]
