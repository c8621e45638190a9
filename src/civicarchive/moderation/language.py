"""The language a comment is written in, where it matters: the off-topic check was built for
English (its word lists, and all-MiniLM-L6-v2, an English sentence encoder), so in another
language it cannot tell an unrelated comment from a resident's complaint, and must not
decide.

    other_language("Le maire ment, honte à lui")   # "fr"
    other_language("Go Seahawks!")                 # None: English, or too short to say

Identification is py3langid's naive Bayes model over byte n-grams (97 languages, shipped
in the package; no download), with normalised probabilities. A comment counts as another
language only when English is nearly ruled out and one other language is likely: a short
or mixed comment ("Nice pic", Spanglish) stays English, where the check runs as before.
"""

from __future__ import annotations

import threading

BUILT_FOR = "en"
NOT_ENGLISH = 0.05  # English's probability below this...
LIKELY = 0.5  # ...and another language's at least this
NAMES = {
    "es": "Spanish", "fr": "French", "de": "German", "it": "Italian", "pt": "Portuguese",
    "nl": "Dutch", "pl": "Polish", "ru": "Russian", "uk": "Ukrainian", "zh": "Chinese",
    "ja": "Japanese", "ko": "Korean", "vi": "Vietnamese", "tl": "Tagalog", "ar": "Arabic",
    "hi": "Hindi", "fa": "Persian", "so": "Somali", "am": "Amharic", "ht": "Haitian Creole",
    "ro": "Romanian", "tr": "Turkish", "el": "Greek", "he": "Hebrew", "th": "Thai",
    "km": "Khmer", "lo": "Lao", "pa": "Punjabi", "bn": "Bengali", "ur": "Urdu",
    "sv": "Swedish", "no": "Norwegian", "da": "Danish", "fi": "Finnish", "cs": "Czech",
}

_identifier: list[object] = []
_lock = threading.Lock()


def other_language(text: str) -> str | None:
    """The ISO 639-1 code of the language `text` is in when it is plainly not English,
    else None."""
    ranked = _identify().rank(text)
    best, likelihood = ranked[0]
    english = next((p for code, p in ranked if code == BUILT_FOR), 0.0)
    if best == BUILT_FOR or english >= NOT_ENGLISH or likelihood < LIKELY:
        return None
    return best


def name(code: str) -> str:
    """The language's English name ("Spanish"), or its code where it has none here."""
    return NAMES.get(code, f"the language coded {code!r}")


def _identify():  # noqa: ANN202 - a py3langid LanguageIdentifier
    if _identifier:
        return _identifier[0]
    with _lock:
        if not _identifier:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier
            _identifier.append(LanguageIdentifier.from_model_file(MODEL_FILE,
                                                                  norm_probs=True))
        return _identifier[0]
