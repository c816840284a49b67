"""Every knob of hearing in one place (the wake spotter's in wake_tuning.py), each with the
measurement that set it.

Measured with `python scripts/bench_hearing.py` on ../shared/speech (1,111 real clips) and on
espeak-ng renderings with noise; the figures behind each choice are in the comments.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- Capture and endpointing (SpeechRecognition) -------------------------------------------
# These passed a virtual-microphone test (design notes): the default phrase_threshold of 0.3 s
# silently drops short words like "nope" and "stop".
ENERGY_FLOOR = 300  # peak RMS below this is not speech (a file of silence, a quiet room)
# Quiet and far voices (someone on a mat two metres away): the answer listener's threshold
# follows the room, AMBIENT_FACTOR times its level, down to QUIET_FLOOR, instead of stopping
# at ENERGY_FLOOR. Real clips 20 dB quieter (every 3rd yes/no/digit/stop clip, `hear`):
# right 0.855 -> 0.593 with the fixed floor (34% "no speech").
QUIET_FLOOR = 30
AMBIENT_FACTOR = 3.0
# A microphone with less than this share of its power above 4.2 kHz (dB) records at 8 kHz
# (check-audio says so). Real clips of ../shared/speech: the spoken-digit set's, recorded at
# 8 kHz, at most -47.5 dB (299 of 300 below -50); the others median -28.5 dB, 31 of 811 below.
# bench_hearing splits its clean real clips by it: numbers 0.51 right at 8 kHz, 0.73 at 16
# (pocketsphinx alone, all speakers); with the word check, held-out speakers: 0.74 and 0.83.
TELEPHONE_BAND_DB = -50.0
PAUSE_THRESHOLD = 0.5  # seconds of quiet that end a phrase
NON_SPEAKING_DURATION = 0.3
PHRASE_THRESHOLD = 0.1
LISTEN_TIMEOUT = 8.0  # seconds to wait for speech to start
PHRASE_TIME_LIMIT = 6.0  # longest answer we record
STALL_MARGIN = 10.0  # beyond both, a live microphone that still has not returned has stalled


# --- Signal conditioning -------------------------------------------------------------------
# Faint noise added under every utterance, this many dB below its loudest 30 ms, before decoding.
# The decoder misreads words set in digital silence (espeak-ng renderings, trimmed files):
#   espeak answers right: no floor 0.55, 60 dB 0.71, 40 dB 0.85;
#   real yes/no/stop (every 2nd clip): none 0.76 right / 0.065 other words accepted,
#   45 dB 0.78 / 0.039, 35 dB 0.76 / 0.031.
NOISE_FLOOR_DB = 45.0

# Steady noise subtracted from each phrase before decoding (denoise.py): DENOISE_OVERSUBTRACT
# times the noise's power spectrum, estimated from the DENOISE_QUIET_SHARE of 32 ms frames with
# the least energy, never leaving less than DENOISE_FLOOR of a frequency's power.
# `scripts/bench_wake.py` (false wake-ups in 4.6 hours of other speech; wake phrases found
# clean / 20 / 10 / 5 dB), all with WAKE_END_SILENCE 0.5 s:
#   no denoising      2 (0.43/h)   1.00 0.83 0.10 0.00   (end silence 0.3 s)
#   oversubtract 1    4 (0.87/h)   1.00 0.95 0.60 0.38
#   2                 8 (1.73/h)   1.00 0.95 0.65 0.35   (floor 0.2: 3, 0.98 0.58 0.30)
#   3                 4 (0.87/h)   1.00 0.95 0.75 0.48
#   4                 0            1.00 0.95 0.70 0.43   (floor 0.02: 4, 0.95 0.75 0.53)
#   6                 1 (0.22/h)   1.00 0.95 0.58 0.33
# Every false wake-up was in the streams at 10 dB. pocketsphinx's own remove_noise changed
# nothing here.
# Only phrases whose loudest fifth of frames is less than DENOISE_BELOW_SNR dB above the
# quietest fifth are treated, so speech from a quiet room decodes as before: on the real clips
# that figure has median 45 dB clean (5th percentile 18), 22 dB with white noise at 20 dB SNR
# and 12.5 dB at 10 dB SNR. bench_hearing, real clean clips, right/confused, without -> with:
# answers 0.809/0.006 -> 0.809/0.009, numbers 0.593/0.095 -> 0.595/0.085, commands 0.725 ->
# 0.734; at 10 dB answers 0.345/0.069 -> 0.440/0.009, numbers 0.202/0.143 -> 0.268/0.095.
DENOISE_BELOW_SNR = 25.0
DENOISE_OVERSUBTRACT = 4.0
DENOISE_FLOOR = 0.05
DENOISE_QUIET_SHARE = 0.2


# --- Rejection -------------------------------------------------------------------------------
# Speech left outside the words: a run of LOUD_FILLER_FRAMES 10 ms frames, each at least
# LOUD_FRAME_SHARE of the loudest frame's RMS, that the decoder put under silence or noise
# (in all, not in a row). espeak "yesterday" had 17 such frames after "yes" and is now refused;
# real yes/no/stop (every 2nd clip): right 0.785 -> 0.779, other words accepted 0.039 -> 0.034.
LOUD_FRAME_SHARE = 0.3
LOUD_FILLER_FRAMES = 10
# A word fitted over quiet: every word of the phrase heard must hold LOUD_WORD_FRAMES frames
# at LOUD_FRAME_SHARE of the loudest, or nothing was understood. Real words 0.3 s apart woke
# `serve` as "hey coach start": "hey coach" had none (the quiet before a real "stop", at 4-10%
# of the peak), and in 60 offsets, gains and hisses of that talk it woke 6 times, then 0.
# Fewest such frames under a word rightly heard (real clips, every 2nd, clean and 10 dB):
# numbers 5, commands 8, answers 9; wake phrases (bench_wake voices) 19, espeak at 300 words
# a minute 8. Other words taken for a number had as few as 3. bench_hearing, 0 -> 5: every
# "right" the same; numbers' other words accepted clean 0.058 -> 0.053, at 10 dB 0.094 -> 0.089.
LOUD_WORD_FRAMES = 5


# --- Decoys -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rejection:
    """How hard the decoder tries to say "not understood".

    The grammar holds the expected phrases and, as rivals, the `decoys` most frequent English
    words (voicecoach/data/common_words.txt) at `weight` each. A phrase whose best path runs
    through a decoy is not understood. More decoys or a higher weight reject more: more
    out-of-vocabulary words refused, and more real answers asked again.
    """

    decoys: int
    weight: float
    first_decoys: tuple[str, ...] = ()  # rivals taken before the common words


# Measured on ../shared/speech (yes/no clips against up/down/left/right/on/off), before the
# noise floor and the loud-filler check (with both, at 200/1e-3 the whole set gives yes 0.90,
# no 0.75, no yes<->no confusion in 239, other words accepted 0.033):
#   no decoys:           yes 0.98 no 0.97 right, other words accepted 0.95
#   allphone ratio:      separates poorly (at 0.91 right, 0.60 accepted): rejected as a method
#   200 decoys at 1e-12: yes 0.97 no 0.86, accepted 0.17
#   200 decoys at 1e-8:  yes 0.96 no 0.82, accepted 0.11
#   200 decoys at 1e-3:  yes 0.90 no 0.73, accepted 0.055
# Asking again is cheap and a wrong answer is not, so answers sit at the cautious end.
# Longer words that begin with an answer ("yesterday", "notice") were heard as it: espeak-ng
# in 7 voices at 150 and 175 words a minute, "yesterday" as "yes" 6 of 14, "notice" as "no" 8,
# "nobody" 9, "nose" 2. As first decoys, whose win the word check may not overrule
# (recognizer.py): 0 of 14 each. Real yes/no right 212 -> 210 of 239 (every clip of
# ../shared/speech, pocketsphinx and the word check).
CONTAINING_ANSWERS = ("yesterday", "notice", "nobody", "nose", "noted", "nowhere")
REJECTION: dict[str, Rejection] = {
    "answer": Rejection(decoys=200, weight=1e-3, first_decoys=CONTAINING_ANSWERS),
    # Pain numbers: digits are acoustically close to each other and to common words; decoys
    # catch "no" and "go" heard as "zero" or "none".
    "number": Rejection(decoys=200, weight=1e-8),
    # Commands are heard mid-stretch, where a false "stop" or "skip" is a nuisance and a
    # missed "stop" is repeated: cautious as for answers.
    "command": Rejection(decoys=200, weight=1e-3),
}

CHECK_AGREES = 0.5  # the word check this sure of a word agrees with it, or doubts another

# --- The word check's second opinion (word_check.py: second_opinion says how they combine) --
@dataclass(frozen=True)
class CheckRule:
    """How sure the word check must be to overrule pocketsphinx or rescue a phrase."""

    contradict: float
    disagree: float
    veto: float
    rescue: float
    never_rescued: tuple[str, ...] = ()


# Chosen on two sets, right / confused / other words accepted:
# (a) out-of-fold verdicts (5-fold, speaker-disjoint) on all 1,111 real clips with
#     pocketsphinx's own results; (b) bench_hearing's espeak-ng set (6 voices, every phrase of
#     each vocabulary and 22 other words and phrases), clean. The check knows 20 single words;
#     espeak voices and phrases ("I think so") are outside what it was trained on.
#                                          (a) real               (b) espeak clean
# Unless said, disagree is 0 (a word the check knows must be agreed on); .65 is chosen: on
# the real clips every value from 0 to .8 gives the same within 0.01, and a higher one lets an
# espeak-ng "two" (checked as "go", 0.61) through.
#   answers  pocketsphinx alone            0.809/0.017/0.030      0.86/0.03/0.13
#            overrule at .3 (any word)     0.806/0.000/0.001      0.60/0.01/0.14
#            contradict .5, veto .8,
#              rescue .6 (yes, stop)       0.882/0.000/0.013      0.86/0.03/0.15
#              rescue .6 (no as well)      0.939/0.000/0.012      0.90/0.03/0.19
#   numbers  pocketsphinx alone            0.599/0.093/0.048      0.71/0.06/0.10
#            contradict .5, veto .8,
#              rescue .6                   0.834/0.016/0.017
#              rescue .7                   0.818/0.014/0.015      0.71/0.06/0.07
#              rescue .8                   0.794/0.010/0.015
#            contradict .2: rescue .7      0.818/0.012/0.013      0.63/0.04/0.07
#            disagree .65, rescue .7       0.828/0.018/0.017      0.72/0.06/0.10
#   commands pocketsphinx alone            0.738/0.026/0.075      0.68/0.07/0.08
#            contradict .5, veto .8,
#              rescue .6                   0.910/0.004/0.030
#              rescue .8                   0.871/0.004/0.025      0.68/0.04/0.08
#            disagree .65, rescue .8       0.880/0.009/0.027      0.68/0.04/0.08
# "no" is never rescued: the check knows no other word like it, and espeak "nose" was rescued
# as "no" 11 times in 24 at .6 (a red flag missed); "yellow" as "yes" 7 times (a yes is
# confirmed before it counts). Numbers rescue less eagerly: three and eight are the check's
# own confusion. Commands least: they are heard over the coach's own voice, where a rescued
# "stop" from its narration would be a false command.
WORD_CHECK: dict[str, CheckRule] = {
    "answer": CheckRule(contradict=0.5, disagree=0.65, veto=0.8, rescue=0.6,
                        never_rescued=("no",)),
    "number": CheckRule(contradict=0.5, disagree=0.65, veto=0.8, rescue=0.7),
    "command": CheckRule(contradict=0.5, disagree=0.65, veto=0.8, rescue=0.8),
}

@dataclass(frozen=True)
class ThirdOpinionRule:
    """How Whisper's transcript (second_pass.py) combines with the first two opinions."""

    rescue_only_with_check: tuple[str, ...] = ()  # rescued only if the word check agrees
    sure: float = 0.9  # Whisper is not asked when the word check agrees this surely
    check_agrees: float = CHECK_AGREES  # how sure the word check must be to count as agreeing (or,
    # hearing another word, as doubting: Whisper vetoes only with the check's support)
    # An answer Whisper's transcript does not name (a transcript of other words, not an empty
    # one) stands only when the word check heard it this surely; a word check rescue only at
    # the check's own veto level (CheckRule.veto).
    confirm: float = 0.5
    check_alone: float = 0.8
    only_when_doubted: bool = False  # True: asked only when the check doubts what was taken,
    # or heard one of the vocabulary's words in a missed phrase (commands: 300 ms matter)
    homophones: tuple[tuple[str, str], ...] = ()  # ("to", "two"): taken if the check agrees
    every_rescue_needs_check: bool = False  # as rescue_only_with_check, for every value


# Whisper tiny.en's transcript. "no" is rescued only when the word check also heard "no": a
# wrong "no" to a warning sign is the one mistake that must not happen, so it needs two models
# that agree; "stop" likewise (a session ended by mistake). Every command rescue needs the
# check too, and commands ask Whisper only when the check doubts what pocketsphinx took or
# heard a command it missed: 300 ms matter during a hold. Whisper vetoes a phrase only with
# the check's support (the check knows the phrase and did not confirm it, or heard another
# word at CHECK_AGREES): Whisper alone hears espeak-ng voices poorly ("pause" as "P A").
# scripts/bench_hearing.py, held-out speakers of ../shared/speech, clean, right / heard as
# another / other words accepted, before -> after (before: a transcript only rescued or named
# another answer, Whisper was never asked about commands, no LEAD_SECONDS):
#   answers   0.954 / 0 / 0.012      ->  0.969 / 0 / 0.008    (10 dB 0.905 -> 0.952)
#   numbers   0.882 / 0.043 / 0.019  ->  0.901 / 0.006 / 0.006 (LEAD_SECONDS alone: 0.919 /
#             0.012; 10 dB 0.691 / 0.073 -> 0.600 / 0.036)
#   commands  0.878 / 0.020 / 0.049  ->  0.898 / 0.020 / 0.022 ("stop" 0.90 -> 0.95)
#   espeak-ng clean, the same columns: answers 0.872 / 0.038 / 0.135 -> 0.853 / 0.045 / 0.103,
#   numbers 0.833 / 0.053 / 0.091 -> 0.842 / 0.048 / 0.076, commands 0.714 / 0.040 / 0.121 ->
#   0.725 / 0.040 / 0.121. Without the check's support for the veto: real commands 0.898 /
#   0 / 0.015, but espeak commands 0.478 and answers 0.750 right.
# A word check rescue that Whisper does not name stands at CheckRule.veto (0.8): at the
# rescue level (0.7) numbers were 0.932 / 0.006, simulated from the recorded opinions (an
# 8 kHz "six" taken as eight, the check 0.73). For answers it stands at the rescue level
# (below): with 0.8, answers were 0.954 (a real "stop" the check heard at 0.79, Whisper "Dup").
# The rules were chosen on opinions recorded for the training speakers' clips as well as the
# held-out ones (/tmp scripts of session 13); every choice above held on both.
NUMBER_HOMOPHONES = (("to", "two"), ("too", "two"), ("for", "four"), ("won", "one"),
                     ("ate", "eight"))
THIRD_OPINION: dict[str, ThirdOpinionRule] = {
    # an answer rescued by the check is never "no" (CheckRule.never_rescued) and a rescued
    # "yes" is confirmed before it counts: every one of 33 such rescues in the recorded
    # opinions (held-out and training speakers) was right, so Whisper does not veto them
    "answer": ThirdOpinionRule(rescue_only_with_check=("no", "stop"), check_alone=0.6),
    "number": ThirdOpinionRule(rescue_only_with_check=("stop",), homophones=NUMBER_HOMOPHONES),
    "command": ThirdOpinionRule(every_rescue_needs_check=True, confirm=0.9,
                                only_when_doubted=True),
}

# Listening for commands during the routine (watchers.py). Commands are one or two words, so
# phrases end sooner than answers do: the silence that ends a phrase sets the floor of the
# stop latency (scripts/bench_handsfree.py measures it).
COMMAND_END_SILENCE = 0.3  # seconds of quiet that end a command phrase
COMMAND_MAX_SECONDS = 3.0  # a longer stretch of sound is cut here and decoded as it is
COMMAND_MIN_SPEECH = 0.1  # less loud audio than this is a click, not a word
COMMAND_PREROLL = 0.2  # seconds kept before the first loud chunk (soft word onsets)
# The urgent commands are not kept waiting for COMMAND_END_SILENCE: once a phrase has had
# COMMAND_QUICK_SILENCE with no frame within COMMAND_QUICK_LEVEL of its loudest, it is decoded
# as it stands (up to COMMAND_QUICK_KEEP past that frame), and taken at once if it is one of
# COMMAND_QUICK; otherwise it is decoded again when it ends, as usual. The soft tail of a word
# (a breath, the room) can hold a phrase open 0.2-0.5 s past the word. Measured on all 1,127
# words alone in hiss (`scripts/bench_handsfree.py --only quick`, 107 real stops): word end to
# verdict median 0.354 -> 0.202 s, p95 0.521 -> 0.344-0.44 s, stops heard 75 -> 80-81; other
# words taken for stop, pause or "it hurts" 15-18 -> 22-29 of 1,020 (for stop: 2-3 -> 5-8,
# "six" and "up" mostly; dither makes runs differ by a few). Silence 0.12 s: median 0.14 s
# but more "stop" for "six"; 0.18 s kept the max under 0.5 s. How much of the tail to keep
# made no difference on these clips; after 12 real stops with a white "breath" 26 dB down
# (6 tries each), stops taken early: 38/72 keeping 0.03 s, 35/72 at 0.05 s, 34/72 at 0.1 s.
COMMAND_QUICK = ("stop", "pause", "hurts")
COMMAND_QUICK_SILENCE = 0.18
COMMAND_QUICK_LEVEL = 0.1  # of the phrase's peak RMS (-20 dB)
COMMAND_QUICK_KEEP = 0.05  # seconds after the last strong frame given to the decoder
ECHO_TAIL = 0.2  # after the coach stops speaking, its echo may linger this long in a room
# Seconds a busy Python thread may hold the interpreter before the listening thread gets it
# (sys.setswitchinterval; Python's default is 0.005). The listener wakes every 64 ms chunk and
# passes the interpreter back and forth many times per chunk; at 5 ms a busy thread in the same
# process made it fall behind the microphone, and the echo canceller never learned the room.
# A real "stop" said over a long instruction (test_voice_commands) with two busy threads
# beside it: heard 0 of 6 times at 0.005, 5 of 6 and then 5 of 5 at 0.0005; alone, 12 of 12.
# Set while listening only (VoiceWatcher.start), put back on stop.
LISTEN_SWITCH_INTERVAL = 0.0005

# Rooms with steady noise (a fan, a television): an endpointer that adapts raises its threshold
# to NOISE_MARGIN times the room's level, the NOISE_PERCENTILE of each chunk's quietest 30 ms
# over the last NOISE_WINDOW_CHUNKS chunks (5 s). With a fixed threshold, white noise 20 dB
# below the speech made the whole stream one endless phrase: espeak wake phrases at 20 dB SNR
# were found 0 of 30 times, with the adaptive one at margin 3, 21 of 30. Wake phrases found at
# 20 dB by `scripts/bench_wake.py --quick`: margin 3 0.40, 2 0.55, 1.6 0.55 (false wake-ups
# unchanged); a longer lead-in before each phrase (0.5 s instead of COMMAND_PREROLL) gave
# nothing. Gates in front of it (webrtcvad, a band-SNR rule) found no more wake phrases in
# noise: scripts/bench_voice_gate.py has the figures.
NOISE_MARGIN = 2.0
NOISE_PERCENTILE = 0.1
NOISE_WINDOW_CHUNKS = 80


# --- Echo cancelling (echo.py): hearing "stop" said over the coach's own voice ------------------
ECHO_BLOCK = 256  # samples per filter block (16 ms)
ECHO_MAX_DELAY = 1.5  # seconds from the player starting to the echo being read from the
# microphone: 37-43 ms on the virtual devices (aplay, PyAudio); the room is for players and
# sound servers that buffer far more. Only the first sound waits this long to be found.
ECHO_CLOCK_WINDOW = 2.0  # microphone reads all late by more than ECHO_CLOCK_TOLERANCE over this
ECHO_CLOCK_TOLERANCE = 0.02  # long mean samples were lost (on the virtual devices reads come
# back in bursts, up to 70 ms late, but the first of each burst within 5 ms)
ECHO_FILTER_SECONDS = 0.15  # the room's reflections the filter learns, after the delay
ECHO_LEAD = 0.03  # the echo may seem to come this early (the two clocks' stamps differ)
ECHO_STEP = 0.5  # adaptation step (normalised per frequency)
ECHO_RESIDUAL_MARGIN = 0.3  # over the coach's voice, speech must reach this x the predicted echo
ECHO_RESIDUAL_HEADROOM = 4.0  # ... and this x what is typically left of the echo (12 dB above it),
# which matters while the canceller is still learning
ECHO_SMOOTHING = 1 / 60  # the echo reduction is judged over about a second of the coach's voice
ECHO_DOUBLE_TALK = 0.25  # once converged, more left than this x the predicted echo is the person
# talking over the coach: the filter stops learning for that block (it would learn their voice)
ECHO_CONVERGED_DB = 12.0  # until the echo is this far down, the coach's voice is gated (gaps)
ECHO_ALIGN_WINDOW = 0.12  # seconds of each sound's start looked for in the microphone
ECHO_ALIGN_SEARCH = 0.008  # each sound's echo is looked for this far either side of the last
ECHO_ALIGN_MIN = 0.3  # normalised correlation below this: not found, the last delay is kept
