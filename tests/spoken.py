"""Hearing the coach back: which sentences a stretch of loudspeaker audio holds.

Free decoding of espeak-ng with pocketsphinx's general language model gets few words right,
so each stretch is matched against a grammar of the candidate sentences instead, any number
of them in a row: a forced choice. A sentence chosen over all the others was really spoken.
"""

from __future__ import annotations

import re
import subprocess

from voicecoach.audio.wav import add_noise_floor, peak_rms
from voicecoach.hearing.recognizer import SAMPLE_RATE
from voicecoach.hearing.vocabulary import normalize


def sentences(text: str) -> list[str]:
    """The sentences of an utterance, normalized: "Hold. Two." -> ["hold", "two"]."""
    return [normalize(s) for s in re.split(r"(?<=[.?!:])\s+", text) if normalize(s)]


class SentenceChooser:
    """Decides which candidate sentences, in which order, a stretch of 16 kHz audio holds."""

    def __init__(self, texts: list[str], tempo: float = 0.6):
        from pocketsphinx import Decoder

        self.tempo = tempo
        # Wide beams: with the default ones no path survives to the end of a long sentence.
        self.decoder = Decoder(samprate=SAMPLE_RATE, lm=None, dither=True, loglevel="FATAL",
                               beam=1e-70, wbeam=1e-50, pbeam=1e-70)
        self.tokens: dict[str, str] = {}  # each sentence is one dictionary word: its token
        for text in texts:
            for sentence in sentences(text):
                phones = [self.decoder.lookup_word(word) for word in sentence.split()]
                known = [p for p in phones if p]
                if known and sentence not in self.tokens.values():
                    token = f"sentence{len(self.tokens)}"
                    self.tokens[token] = sentence
                    self.decoder.add_word(token, " ".join(known), update=False)
        rules = " | ".join(self.tokens)
        self.decoder.add_jsgf_string(
            "said", f"#JSGF V1.0;\ngrammar said;\npublic <said> = ({rules})+;\n")
        self.decoder.activate_search("said")

    def hear(self, pcm: bytes) -> list[str]:
        """The candidate sentences that best explain `pcm`, in order ([] for silence)."""
        if not pcm or peak_rms(pcm, SAMPLE_RATE) == 0:
            return []
        pcm = bytes(3200) + slowed(pcm, self.tempo) + bytes(8000)
        pcm = add_noise_floor(pcm, peak_rms(pcm, SAMPLE_RATE) * 10 ** (-45 / 20))
        self.decoder.start_utt()
        self.decoder.process_raw(pcm, full_utt=True)
        self.decoder.end_utt()
        hyp = self.decoder.hyp()
        return [self.tokens[word] for word in (hyp.hypstr.split() if hyp else [])
                if word in self.tokens]


def slowed(pcm: bytes, tempo: float) -> bytes:
    """16 kHz speech played `tempo` times as fast, pitch kept (sox): espeak-ng at a quick rate
    has phones shorter than the decoder's three-frame minimum, and no path fits them."""
    if tempo == 1.0:
        return pcm
    raw = ["-t", "raw", "-r", str(SAMPLE_RATE), "-e", "signed", "-b", "16", "-c", "1"]
    return subprocess.run(["sox", *raw, "-", *raw, "-", "tempo", "-s", str(tempo)], input=pcm,
                          capture_output=True, check=True, timeout=30).stdout
