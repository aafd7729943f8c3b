"""The office's own language model: text normalisation, smoothing, ARPA output, recognition."""

import math
import re
from pathlib import Path

import numpy as np
import pytest
from pocketsphinx import NGramModel

from appliance.knowledge import KnowledgeBase
from appliance.speech import domain_lm
from appliance.speech.domain_lm import BOS, BackoffLM, build_for_kb, train, write_arpa
from appliance.speech.espeak import EspeakTts
from appliance.speech.lm_text import spoken_sentences
from appliance.speech.pocketsphinx_stt import PocketSphinxStt
from appliance.speech.resample import resample
from appliance.speech.stt import SttError
from tests.unit.test_knowledge_support import HashEmbedder

KB_FILES = sorted((Path(__file__).parents[1] / "data" / "kb").iterdir())
TOY = [s.split() for s in ["a b", "a c", "b a c", "c"]]
TOY_BASE = {"a": 0.2, "b": 0.1, "c": 0.1, "d": 0.4, "</s>": 0.2}


def spoken(text: str) -> list[str]:
    known = domain_lm.dictionary_words().__contains__
    return [" ".join(s) for s in spoken_sentences(text, known)]


def test_written_text_becomes_dictionary_words() -> None:
    assert spoken("A routine check-up costs 45 euros.") == [
        "a routine check up costs forty five euros"]
    assert spoken("Open 9 a.m. to 5:30pm. Call 555-0199!") == [
        "open nine am to five thirty pm", "call five five five zero one nine nine"]
    assert spoken("Founded in 2009, 2nd floor, 10% off, $25") == [
        "founded in two thousand nine second floor ten percent off twenty five dollars"]
    # Unknown compounds split into dictionary words; a word nobody can say ends the sentence.
    assert spoken("We take Allcare and Xqzvwt cards") == ["we take all care and", "cards"]
    assert spoken("Q: Can I park? A: Yes - in the courtyard") == [
        "can i park", "yes", "in the courtyard"]


def distribution(lm: BackoffLM, history: tuple[str, ...]) -> float:
    return sum(10 ** lm.log10(w, history) for w in lm.vocabulary() if w != BOS)


def test_witten_bell_by_hand() -> None:
    lm = train(TOY, base={}, generic_weight=0.0)
    p_c = 3 / 12  # 12 tokens: a 3, b 2, c 3, </s> 4 (no generic base: plain relative frequency)
    # "a" is followed by b, c, c (3 times, 2 distinct): (c(a,c) + T * P(c)) / (c(a) + T)
    p_c_given_a = (2 + 2 * p_c) / (3 + 2)
    assert 10 ** lm.log10("c", ("a",)) == pytest.approx(p_c_given_a)
    # unseen after "a": back-off weight T/(c+T) times the unigram
    assert 10 ** lm.log10("a", ("a",)) == pytest.approx(2 / 5 * 3 / 12)
    # trigram "<s> a c" (once, after a history seen twice with 2 distinct followers)
    assert 10 ** lm.log10("c", (BOS, "a")) == pytest.approx((1 + 2 * p_c_given_a) / (2 + 2))


@pytest.mark.parametrize("weight", [0.0, 0.3])
def test_every_distribution_sums_to_one(weight: float) -> None:
    lm = train(TOY, base=TOY_BASE if weight else {}, generic_weight=weight)
    histories = {(), *(g[:k] for level in lm.logprob[1:] for g in level for k in (1, 2))}
    histories |= {("d",), ("d", "a"), ("b", "d")}  # never seen: pure back-off
    for history in histories:
        if history and history[-1] == "</s>":
            continue
        assert distribution(lm, history) == pytest.approx(1.0, abs=1e-9), history
    # The generic base keeps a word the office never wrote possible, and only it.
    assert (10 ** lm.log10("d") > 0) == bool(weight)


def test_pocketsphinx_reads_the_arpa_file_with_the_same_probabilities(tmp_path: Path) -> None:
    from pocketsphinx import NGramModel

    lm = train(TOY, base=TOY_BASE, generic_weight=0.3)
    path = write_arpa(lm, tmp_path / "toy.arpa")
    loaded = NGramModel.readfile(str(path))
    for text in ["a", "a c", "a a", "<s> a c", "<s> a b", "b a d", "d c", "c </s>"]:
        words = text.split()
        ours = lm.log10(words[-1], tuple(words[:-1]))
        assert ps_log10(loaded, text) == pytest.approx(ours, abs=2e-3), text


def ps_log10(lm: NGramModel, text: str) -> float:
    """log10 P(last word | the words before it) from pocketsphinx, which takes the predicted
    word first, then the history latest first, and answers in log base 1.0001."""
    return float(lm.prob(text.split()[::-1])) * math.log10(1.0001)


@pytest.fixture(scope="module")
def dental_lm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("kb")
    kb = KnowledgeBase(root / "kb", HashEmbedder())
    kb.add(KB_FILES)
    texts = kb.texts()
    assert len(texts) == sum(d.chunks for d in kb.list())
    assert any("A routine check-up costs 45 euros." in t for t in texts)
    path = build_for_kb(kb, root / "office.arpa", extra=["Maple Street Dental"])
    kb.close()
    return path


def test_kb_model_knows_the_office_and_keeps_common_english(dental_lm: Path) -> None:
    from pocketsphinx import NGramModel

    lm = NGramModel.readfile(str(dental_lm))
    assert ps_log10(lm, "teeth whitening") > -1.0
    assert ps_log10(lm, "teeth whitening") > ps_log10(lm, "teeth restaurant") + 2
    assert ps_log10(lm, "how much does a check up cost") > ps_log10(lm, "cost") + 0.5
    assert ps_log10(lm, "restaurant") > -7  # never in the KB, still possible
    assert ps_log10(lm, "allcare") < -99 and ps_log10(lm, "all care") > ps_log10(lm, "care")


def test_texts_of_an_empty_kb(tmp_path: Path) -> None:
    assert KnowledgeBase(tmp_path / "kb", HashEmbedder()).texts() == []


# ---- speech: espeak caller, telephone band ------------------------------------------------

QUESTIONS = [
    "What are your opening hours on Saturday?",
    "How much does a check-up cost?",
    "How much is teeth whitening?",
    "Is the building wheelchair accessible?",
]


def words(text: str) -> list[str]:
    return [w for s in spoken(text) for w in s.split()]


def wer(refs: list[str], hyps: list[str]) -> float:
    errors = total = 0
    for ref, hyp in zip(refs, hyps):
        r, h = words(ref), words(hyp)
        d = list(range(len(h) + 1))
        for i, rw in enumerate(r, 1):
            prev, d[0] = d[0], i
            for j, hw in enumerate(h, 1):
                prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (rw != hw))
        errors, total = errors + d[len(h)], total + len(r)
    return errors / total


@pytest.fixture(scope="module")
def calls() -> list[np.ndarray]:
    tts = EspeakTts()
    return [resample(tts.synthesize_all(q), tts.sample_rate, 8000) for q in QUESTIONS]


def test_office_model_hears_office_questions_better(dental_lm: Path,
                                                    calls: list[np.ndarray]) -> None:
    generic = [PocketSphinxStt().transcribe(a, rate=8000) for a in calls]
    office_stt = PocketSphinxStt(lm_path=dental_lm)
    office = [office_stt.transcribe(a, rate=8000) for a in calls]
    # Measured: generic 71% WER (17 errors in 24 words), office 8% (2: "saturdays", no "cost").
    assert wer(QUESTIONS, generic) > 0.35, generic
    assert wer(QUESTIONS, office) < 0.2, office
    # A question about something else is still heard as itself, not as office words.
    tts = EspeakTts()
    other = resample(tts.synthesize_all("Can you recommend a good restaurant nearby?"),
                     tts.sample_rate, 8000)
    assert "restaurant" in office_stt.transcribe(other, rate=8000).split()


def streamed(stt: PocketSphinxStt, audio: np.ndarray) -> str:
    stream = stt.start(rate=8000)
    for i in range(0, len(audio), 160):
        stream.accept(audio[i:i + 160])
    return stream.finish()


def test_use_lm_swaps_the_model_for_later_utterances(dental_lm: Path,
                                                     calls: list[np.ndarray]) -> None:
    audio = calls[1]
    stt = PocketSphinxStt()
    stream = stt.start(rate=8000)  # under way during the swap: finishes with the old model
    stt.use_lm(dental_lm)
    for i in range(0, len(audio), 160):
        stream.accept(audio[i:i + 160])
    # Compared with fresh engines: a decoder's results depend a little on what it heard before.
    assert stream.finish() == streamed(PocketSphinxStt(), audio)
    after = stt.transcribe(audio, rate=8000)
    assert after == PocketSphinxStt(lm_path=dental_lm).transcribe(audio, rate=8000)
    assert after != PocketSphinxStt().transcribe(audio, rate=8000)
    with pytest.raises(SttError, match=re.escape(str(dental_lm.with_name("gone.arpa")))):
        stt.use_lm(dental_lm.with_name("gone.arpa"))
    assert stt.transcribe(audio, rate=8000) == after  # the working model stays
