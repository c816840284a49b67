"""Offline, grammar-constrained decoding of 16 kHz speech with pocketsphinx.

One pocketsphinx Decoder per vocabulary, created once (about 0.1 s) and reused: SpeechRecognition's
`recognize_sphinx(grammar=...)` fails on its second call, so we drive pocketsphinx directly.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from voicecoach.vocabulary import VOCABULARIES, Vocabulary

SAMPLE_RATE = 16000


@dataclass(frozen=True)
class Decoded:
    """The decoder's raw text, its meaning in the vocabulary, and the decode time."""

    text: str
    value: str | None
    ms: float


class GrammarDecoder:
    """Decodes raw 16-bit mono 16 kHz PCM against one vocabulary's grammar."""

    def __init__(self, vocabulary: Vocabulary):
        from pocketsphinx import Decoder  # imported here: loading the model costs time

        self.vocabulary = vocabulary
        self._decoder = Decoder(samprate=SAMPLE_RATE, lm=None, bestpath=False, loglevel="FATAL")
        self._decoder.add_jsgf_string(vocabulary.name, vocabulary.jsgf())
        self._decoder.activate_search(vocabulary.name)
        self._lock = threading.Lock()

    def decode(self, pcm: bytes) -> Decoded:
        """Decode one utterance. Empty or silent audio gives text '' and value None."""
        start = time.perf_counter()
        with self._lock:
            self._decoder.start_utt()
            if pcm:
                self._decoder.process_raw(pcm, full_utt=True)
            self._decoder.end_utt()
            hyp = self._decoder.hyp()
        text = hyp.hypstr.strip() if hyp is not None else ""
        ms = (time.perf_counter() - start) * 1000
        return Decoded(text, self.vocabulary.meaning(text), ms)


_decoders: dict[str, GrammarDecoder] = {}
_decoders_lock = threading.Lock()


def decoder_for(expect: str) -> GrammarDecoder:
    """The shared decoder for a vocabulary name ("answer", "number")."""
    with _decoders_lock:
        if expect not in _decoders:
            _decoders[expect] = GrammarDecoder(VOCABULARIES[expect])
        return _decoders[expect]
