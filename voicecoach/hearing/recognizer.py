"""Offline, grammar-constrained decoding of 16 kHz speech with pocketsphinx, with rejection.

One pocketsphinx Decoder per vocabulary, created once (about 0.2 s) and reused: SpeechRecognition's
`recognize_sphinx(grammar=...)` fails on its second call, so we drive pocketsphinx directly.

Rejection: the grammar offers, beside the expected phrases, the most frequent English words as
decoys (see tuning.py). A phrase that sounds more like "yet" or "up" than like "yes" comes back
with the decoy as its text and no value: not understood.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from functools import cache
from importlib import resources

from voicecoach.audio.wav import add_noise_floor, frame_levels, peak_rms
from voicecoach.hearing.denoise import subtract_noise
from voicecoach.hearing.second_pass import shared_transcriber, third_opinion
from voicecoach.hearing.tuning import (
    LOUD_FILLER_FRAMES,
    LOUD_FRAME_SHARE,
    LOUD_WORD_FRAMES,
    NOISE_FLOOR_DB,
    REJECTION,
    THIRD_OPINION,
    WORD_CHECK,
    Rejection,
)
from voicecoach.hearing.vocabulary import VOCABULARIES, Vocabulary
from voicecoach.hearing.word_check import second_opinion, shared_check

SAMPLE_RATE = 16000
# The word check's second opinion (word_check.py) and Whisper's third (second_pass.py);
# scripts turn them off to compare without them.
word_check_enabled = True
whisper_enabled = True


@dataclass(frozen=True)
class Decoded:
    """The decoder's raw text, its meaning in the vocabulary (None: not understood), the time."""

    text: str
    value: str | None
    ms: float
    checked: str = ""  # the word check's verdict ("seven 0.93"), when it was asked
    whisper: str = ""  # Whisper's transcript, when it was asked
    whisper_asked: bool = False  # whether Whisper was asked (its transcript may be empty)


@cache
def common_words() -> tuple[str, ...]:
    """The packaged list of frequent English words, most frequent first."""
    text = resources.files("voicecoach").joinpath("data/common_words.txt").read_text("utf-8")
    return tuple(w for w in text.split("\n") if w and not w.startswith("#"))


def _pronunciations(decoder: object, word: str) -> set[str]:
    """Every dictionary pronunciation of a word ("no" and "know" share one)."""
    found = set()
    for variant in [word] + [f"{word}({n})" for n in range(2, 5)]:
        phones = decoder.lookup_word(variant)
        if phones:
            found.add(phones)
    return found


def choose_decoys(decoder: object, vocabulary: Vocabulary, count: int,
                  first: tuple[str, ...] = ()) -> list[str]:
    """The words in `first` that are not whole phrases of the vocabulary (the parts of a
    phrase, "hey" of "hey coach", are fair rivals to it), then the `count` most frequent words
    that are neither in nor sound like the vocabulary."""
    own_words = {word for phrase in vocabulary.phrases for word in phrase.split()}
    own_sounds = set().union(*(_pronunciations(decoder, w) for w in own_words))
    decoys = [w for w in dict.fromkeys(first)
              if w not in vocabulary.phrases and _pronunciations(decoder, w)]
    chosen = 0
    for word in common_words():
        if chosen >= count:
            break
        if word in own_words or word in decoys:
            continue
        sounds = _pronunciations(decoder, word)
        if sounds and not sounds & own_sounds:
            decoys.append(word)
            chosen += 1
    return decoys


def token(phrase: str) -> str:
    """A phrase as one dictionary word: "i think so" -> "i_think_so"."""
    return phrase.replace(" ", "_")


def tokens(phrase: str, vocabulary: Vocabulary) -> list[str]:
    """The dictionary words a phrase is decoded as: one, or two where it begins with one of
    the vocabulary's prefixes ("hey coach, start stretching": a pause may fall between)."""
    for prefix in vocabulary.prefixes:
        if phrase.startswith(prefix + " "):
            return [token(prefix), token(phrase[len(prefix) + 1:])]
    return [token(phrase)]


def add_phrase_words(decoder: object, vocabulary: Vocabulary) -> None:
    """Add each multi-word phrase to the dictionary as a single word.

    Every word on a path pays an insertion penalty, so as separate words "i think so" lost to a
    single decoy stretched over it ("like"); as one word it competes on equal terms.
    """
    for phrase in vocabulary.phrases:
        for word in tokens(phrase, vocabulary):
            if "_" in word and not decoder.lookup_word(word):
                phones = " ".join(decoder.lookup_word(part) for part in word.split("_"))
                decoder.add_word(word, phones, update=False)


def grammar(vocabulary: Vocabulary, decoys: list[str], weight: float) -> str:
    """JSGF: the vocabulary's phrases (each one token, see `add_phrase_words`) and the decoys
    as weighted rivals."""
    phrases = " | ".join(sorted(" ".join(tokens(p, vocabulary)) for p in vocabulary.phrases))
    head = f"#JSGF V1.0;\ngrammar {vocabulary.name};\n"
    if not decoys:
        return head + f"public <{vocabulary.name}> = {phrases};\n"
    return (
        head
        + f"public <{vocabulary.name}> = /1/ ({phrases}) | /{weight:g}/ <decoy>;\n"
        + f"<decoy> = {' | '.join(decoys)};\n"
    )


FILLERS = ("<sil>", "<s>", "</s>", "[NOISE]", "(NULL)")


def loud_frames(pcm: bytes) -> list[bool]:
    """For each of the decoder's 10 ms frames, whether it is speech-loud: at least
    LOUD_FRAME_SHARE of the loudest frame's RMS."""
    levels = frame_levels(pcm, SAMPLE_RATE, window=0.01)
    loud = LOUD_FRAME_SHARE * max(levels, default=0.0)
    return [level >= loud for level in levels]


def _loud_under(loud: list[bool], first: int, last: int) -> int:
    """How many of frames `first` to `last` (inclusive) are speech-loud."""
    return sum(loud[max(first, 0):last + 1])


def speech_outside_words(loud: list[bool], segments: list[tuple[str, int, int]]) -> bool:
    """True when the decoder filed speech-loud frames under silence or noise.

    That is what a longer word looks like when the grammar can only fit its start ("yes" for
    "yesterday"). Threshold: LOUD_FILLER_FRAMES in tuning.py.
    """
    in_fillers = sum(_loud_under(loud, first, last)
                     for word, first, last in segments if word in FILLERS)
    return in_fillers >= LOUD_FILLER_FRAMES


def fewest_loud_frames(loud: list[bool], segments: list[tuple[str, int, int]]) -> int | None:
    """The fewest speech-loud frames under any one word the decoder placed (None: no words).

    A word with hardly any is a word fitted over quiet: a breath or the room before a real
    word ("hey coach" on 0.25 s of hiss, then "start" on a spoken "stop"). Threshold:
    LOUD_WORD_FRAMES in tuning.py.
    """
    counts = [_loud_under(loud, first, last)
              for word, first, last in segments if word not in FILLERS]
    return min(counts, default=None)


class GrammarDecoder:
    """Decodes raw 16-bit mono 16 kHz PCM against one vocabulary's grammar."""

    def __init__(self, vocabulary: Vocabulary, rejection: Rejection | None = None,
                 share: GrammarDecoder | None = None):
        """`share`: another decoder whose acoustic model (about 30 MB) this one uses too, as a
        search of its own; decoding takes turns."""
        from pocketsphinx import Decoder  # imported here: loading the model costs time

        self.vocabulary = vocabulary
        self.rejection = rejection or Rejection(decoys=0, weight=0.0)
        if share is not None:
            self._decoder, self._lock = share._decoder, share._lock
            self.search = f"{vocabulary.name}-{id(self):x}"
        else:
            # bestpath=False: see the design notes. No dither (its random state, and the
            # front end's, carried from phrase to phrase made results depend on what came
            # before: 14 of 150 texts changed with the order); the faint floor is our own,
            # seeded noise (NOISE_FLOOR_DB), and the front end is reset before each phrase.
            self._decoder = Decoder(samprate=SAMPLE_RATE, lm=None, bestpath=False,
                                    dither=False, loglevel="FATAL")
            self._lock = threading.Lock()
            self.search = vocabulary.name
        self.decoys = choose_decoys(self._decoder, vocabulary, self.rejection.decoys,
                                    self.rejection.first_decoys)
        add_phrase_words(self._decoder, vocabulary)
        self._decoder.add_jsgf_string(
            self.search, grammar(vocabulary, self.decoys, self.rejection.weight)
        )
        self._decoder.activate_search(self.search)
        self.check_rule = WORD_CHECK.get(vocabulary.name) if word_check_enabled else None
        self.third_rule = THIRD_OPINION.get(vocabulary.name) if whisper_enabled else None

    def decode(self, pcm: bytes) -> Decoded:
        """Decode one utterance. Silence, noise or a decoy word give value None."""
        start = time.perf_counter()
        raw = pcm
        if pcm:
            pcm = subtract_noise(pcm)
            floor = peak_rms(pcm, SAMPLE_RATE) * 10 ** (-NOISE_FLOOR_DB / 20)
            pcm = add_noise_floor(pcm, floor)
        with self._lock:
            if self._decoder.current_search() != self.search:  # a shared model's other search
                self._decoder.activate_search(self.search)
            self._decoder.reinit_feat()  # no feature or normalisation state from the last phrase
            self._decoder.start_utt()
            if pcm:
                self._decoder.process_raw(pcm, full_utt=True)
            self._decoder.end_utt()
            hyp = self._decoder.hyp()
            segments = [(seg.word, seg.start_frame, seg.end_frame)
                        for seg in (self._decoder.seg() or [])]
        text = hyp.hypstr.strip().replace("_", " ") if hyp is not None else ""
        value = self.vocabulary.phrases.get(text)
        # A named rival won ("yesterday", "notice"): the check knows "yes", not "yesterday",
        # so it must not rescue the answer inside it.
        refused = text in self.rejection.first_decoys
        if value is not None:
            loud = loud_frames(pcm)
            if speech_outside_words(loud, segments):
                refused = True  # "yesterday" decoded as "yes" and a loud "silence"
            elif (fewest_loud_frames(loud, segments) or 0) < LOUD_WORD_FRAMES:
                refused = True  # a word fitted over quiet
            if refused:
                value = None
        checked = ""
        verdict: tuple[str, float] = ("", 0.0)
        check_knows: tuple[str, ...] = ()
        first = value
        # A phrase refused above is not the check's to rescue: the check knows "yes", not
        # "yesterday", and would say "yes".
        if (raw and not refused and self.check_rule is not None
                and (check := shared_check()) is not None):
            said = check.verdict(raw)
            verdict = (said.word, said.probability)
            checked = f"{said.word} {said.probability:.2f}"
            check_knows = check.classifier.words
            value = second_opinion(value, text, said, self.vocabulary.phrases, check_knows,
                                   self.check_rule)
        heard_by_whisper = ""
        asked = False
        doubts = self._check_doubts(text, value, verdict, check_knows)
        if (raw and not refused and self._ask_whisper(value, verdict, doubts)
                and (whisper := shared_transcriber()) is not None):
            heard_by_whisper, asked = whisper.transcribe(raw), True
            value = third_opinion(value, heard_by_whisper, verdict, self.vocabulary.phrases,
                                  self.third_rule, rescued_by_check=first is None, heard=text,
                                  check_doubts=doubts)
        ms = (time.perf_counter() - start) * 1000
        return Decoded(text, value, ms, checked, heard_by_whisper, asked)

    def _check_doubts(self, text: str, value: str | None, verdict: tuple[str, float],
                      check_knows: tuple[str, ...]) -> bool:
        """The word check knows pocketsphinx's phrase (and so could have confirmed it), or it
        surely heard another word: Whisper may then veto the phrase (second_pass.py)."""
        if self.third_rule is None:
            return False
        other = self.vocabulary.phrases.get(verdict[0]) != value
        return text in check_knows or (other and verdict[1] >= self.third_rule.check_agrees)

    def _ask_whisper(self, value: str | None, verdict: tuple[str, float], doubts: bool) -> bool:
        """Whether the first two opinions leave enough doubt to ask Whisper: not when the
        check surely heard what was taken; for commands (THIRD_OPINION), only when the check
        doubts what was taken or heard a command that was missed."""
        rule = self.third_rule
        if rule is None:
            return False
        checked = self.vocabulary.phrases.get(verdict[0])
        if value is not None:
            if checked == value and verdict[1] >= rule.sure:
                return False
            return doubts or not rule.only_when_doubted
        return not rule.only_when_doubted or (checked is not None
                                              and verdict[1] >= rule.check_agrees)


_decoders: dict[str, GrammarDecoder] = {}
_decoders_lock = threading.Lock()


def decoder_for(expect: str) -> GrammarDecoder:
    """The shared decoder for a vocabulary name ("answer", "number", "command")."""
    with _decoders_lock:
        if expect not in _decoders:
            _decoders[expect] = GrammarDecoder(VOCABULARIES[expect], REJECTION.get(expect))
        return _decoders[expect]
