"""The TTS voices Debian main offers, split into training voices and held-out voices.

A voice is held out as a whole: evaluation (and the bundled examples) only use voices the
model never heard in training. For espeak-ng a voice is a (dialect, variant) pair; one
dialect (en-us-nyc) and a set of variants are never used in training with any dialect.
"""
import os
from dataclasses import dataclass

ESPEAK_DATA = "/usr/lib/x86_64-linux-gnu/espeak-ng-data/voices/!v"
ESPEAK_DIALECTS = ["en-us", "en-gb", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-rp",
                   "en-gb-x-gbcwmd", "en-029", "en-us-nyc"]
HELDOUT_DIALECTS = {"en-us-nyc"}
HELDOUT_VARIANTS = {"f2", "m3", "m7", "klatt2", "Andy", "Annie", "david", "linda", "steph",
                    "max", "grandpa", "adam"}
# novelty voices a user would not speak like; they stay in training for robustness but
# would make held-out numbers say more about the variant than about the model
ODD_VARIANTS = {"whisper", "whisperf", "croak", "Demonic", "UniRobot", "anikaRobot"}

FLITE_TRAIN = ["kal", "kal16", "awb", "slt"]
FLITE_HELDOUT = ["rms"]
FESTIVAL_TRAIN = ["kal_diphone", "cmu_us_slt_arctic_hts"]
FESTIVAL_HELDOUT = ["ked_diphone"]


@dataclass(frozen=True)
class Voice:
    engine: str  # espeak | flite | festival
    name: str    # espeak: "dialect+variant"; flite/festival: voice name

    @property
    def key(self) -> str:
        return f"{self.engine}:{self.name}"


def espeak_variants() -> list[str]:
    names = sorted(os.listdir(ESPEAK_DATA)) if os.path.isdir(ESPEAK_DATA) else []
    return [n for n in names if " " not in n]


def split() -> tuple[list[Voice], list[Voice]]:
    """(train voices, held-out voices)."""
    train: list[Voice] = []
    heldout: list[Voice] = []
    variants = espeak_variants()
    for dialect in ESPEAK_DIALECTS:
        for variant in [""] + variants:
            name = dialect + (f"+{variant}" if variant else "")
            v = Voice("espeak", name)
            if dialect in HELDOUT_DIALECTS or variant in HELDOUT_VARIANTS:
                if variant not in ODD_VARIANTS:
                    heldout.append(v)
            else:
                train.append(v)
    train += [Voice("flite", n) for n in FLITE_TRAIN]
    heldout += [Voice("flite", n) for n in FLITE_HELDOUT]
    train += [Voice("festival", n) for n in FESTIVAL_TRAIN]
    heldout += [Voice("festival", n) for n in FESTIVAL_HELDOUT]
    return train, heldout
