"""Text written to slip past the word lists (zero-width characters, look-alike letters from
other scripts, leetspeak, spaced letters, full-width forms) is read as the words it spells,
while ordinary text that merely resembles a threat stays ordinary; spans always index the
comment as written."""

from __future__ import annotations

import pytest

from civicarchive.moderation import Action
from civicarchive.moderation.normalisation import normalise

THREATS = {
    "zero-width space and joiner": "I'm going to k\u200bi\u200dll the mayor.",
    "soft hyphen": "I'm going to sh\u00adoot the mayor.",
    "Cyrillic look-alikes": "I'm going to k\u0456ll the m\u0430yor.",
    "Greek look-alikes": "I'm going to sh\u03bf\u03bft the mayor.",
    "a word all in Cyrillic look-alikes": "I'm going to \u0455\u04bb\u043e\u043et the mayor.",
    "leetspeak": "I'm going to k1ll the mayor.",
    "leetspeak with a run of digits": "I'm going to sh00t the mayor.",
    "spaced letters": "I'm going to k i l l the mayor.",
    "dotted letters": "I'm going to k.i.l.l the mayor.",
    "full-width forms": "\uff29'\uff4d \uff47\uff4f\uff49\uff4e\uff47 \uff54\uff4f \uff4b\uff49\uff4c"
                        "\uff4c \uff54\uff48\uff45 \uff4d\uff41\uff59\uff4f\uff52",
    "Spanish": "Alcalde, te voy a matar.",
    "Spanish, a group": "Sabemos d\u00f3nde vives y te vamos a matar.",
    "French": "Monsieur le maire, je vais te tuer.",
}


@pytest.mark.parametrize("text", THREATS.values(), ids=THREATS.keys())
def test_an_evasive_threat_is_found_with_spans_into_the_comment_as_written(judge, text):
    verdict = judge(text)
    assert verdict.categories == ["true_threats"], verdict
    assert verdict.action is Action.REMOVE
    for finding in verdict.findings:
        for s in finding.spans:
            assert text[s.start:s.end] == s.text


PERSONAL = {
    "full-width digits": "Her cell is \uff12\uff10\uff16-\uff15\uff15\uff15-\uff10\uff11\uff17"
                         "\uff14.",
    "full-width words and digits": "\uff28\uff45\uff52 \uff43\uff45\uff4c\uff4c \uff49\uff53 "
                                   "\uff12\uff10\uff16-\uff15\uff15\uff15-\uff10\uff11\uff17"
                                   "\uff14",
    "zero-width characters inside the number": "Her cell is 206\u200b555\u200b0174.",
    "a full-width email": "Her email is \uff4b\uff41\uff52\uff45\uff4e\uff20\uff47\uff4d\uff41"
                          "\uff49\uff4c\uff0e\uff43\uff4f\uff4d",
    "a number that is no valid US number": "Her cell is \uff10\uff11\uff12-\uff15\uff15\uff15-"
                                           "\uff10\uff11\uff17\uff14.",
}


@pytest.mark.parametrize("text", PERSONAL.values(), ids=PERSONAL.keys())
def test_personal_information_in_other_forms_is_found(judge, text):
    verdict = judge(text)
    assert verdict.categories == ["personal_information"], verdict
    assert verdict.action in (Action.REVIEW, Action.HIDE)
    (finding,) = verdict.findings
    assert all(text[s.start:s.end] == s.text for s in finding.spans)
    assert any(any(c in s.text for c in "\uff10\uff12\uff4b\u200b") for s in finding.spans)


ORDINARY = [
    "I have the skill to fix this pothole myself.",
    "The sk1ll center at the library is great.",
    "We watched a killer whale documentary at the library.",
    "I'm going to Kill Devil Hills this weekend, back Monday.",
    "We drove to Kill Devil Hills for the weekend.",
    "Meet at 5th and Pine at 9am, the I-5 on-ramp at exit 164 is backed up.",
    "My kid built an R2D2 out of recycling bins for the B52s concert in the park.",
    "The U S A flag at the park is torn, can someone replace it?",
    "\u041c\u044d\u0440 \u0445\u043e\u0440\u043e\u0448\u043e \u0440\u0430\u0431\u043e\u0442\u0430"
    "\u0435\u0442.",  # Russian: the mayor works well
    "\u039f \u03b4\u03ae\u03bc\u03b1\u03c1\u03c7\u03bf\u03c2 \u03b5\u03af\u03bd\u03b1\u03b9 "
    "\u03ba\u03b1\u03bb\u03cc\u03c2.",  # Greek: the mayor is good
    "Te voy a matar de risa con este video, alcalde jaja",  # Spanish: you'll die laughing
    "Caf\u00e9 au lait at the farmers market was excellent.",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_is_no_threat_after_normalisation(judge, text):
    verdict = judge(text)
    assert not {"true_threats", "incitement", "obscenity"} & set(verdict.categories), verdict


def test_normalise_maps_every_character_back_to_the_comment():
    text = "Ｉ'ｍ going to k\u200bі1l  y o u, 206\u200b555"
    found = normalise(text)
    assert found.text == "I'm going to kill  you, 206555"
    start = found.text.index("kill")
    span = found.original(start, start + 4)
    assert text[span[0]:span[1]] == "k\u200bі1l"
    start = found.text.index("you")
    assert text[slice(*found.original(start, start + 3))] == "y o u"
    assert normalise("An ordinary comment, 5th Ave at 9am.").text == \
        "An ordinary comment, 5th Ave at 9am."
