"""Write voicecoach/data/common_words.txt: the most frequent English words, for rejection.

The words come from the unigram probabilities of the language model bundled with pocketsphinx,
so the list is reproducible offline. The recognizer uses them as decoys: a phrase that sounds
more like one of these words than like anything expected is "not understood".

    python scripts/make_common_words.py [COUNT]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from pocketsphinx import Config, LogMath, NGramModel, get_model_path

OUT = Path(__file__).resolve().parent.parent / "voicecoach" / "data" / "common_words.txt"


def main(count: int = 1000) -> None:
    model = get_model_path()
    language_model = NGramModel(Config(), LogMath(), os.path.join(model, "en-us", "en-us.lm.bin"))
    words = set()
    with open(os.path.join(model, "en-us", "cmudict-en-us.dict"), encoding="utf-8") as handle:
        for line in handle:
            word = line.split(maxsplit=1)[0]
            if "(" not in word and word.isalpha():
                words.add(word)
    ranked = sorted(words, key=lambda w: (-language_model.prob([w]), w))
    header = "# Most frequent English words (pocketsphinx en-us LM unigrams)\n"
    OUT.write_text(header + "\n".join(ranked[:count]) + "\n", encoding="utf-8")
    print(f"wrote {count} words to {OUT}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
