"""Renders corpus utterances: TTS voice -> sox (16 kHz mono, speed, reverb, band limit,
level) -> additive noise at a chosen SNR. Every random choice is drawn up front from a
seeded RNG in plan_jobs(), so a job list renders to the same audio on every run and an
interrupted run resumes by skipping files that already exist.
"""
import json
import os
import random
import subprocess
import tempfile
import wave

import numpy as np

from voices import Voice

SAMPLE_RATE = 16000
NOISE_KINDS = ["whitenoise", "pinknoise", "brownnoise", "hum"]


def make_noise_bank(noise_dir: str) -> None:
    """60 s of each noise colour, made by sox; 'hum' is mains hum with harmonics + pink."""
    os.makedirs(noise_dir, exist_ok=True)
    for kind in NOISE_KINDS:
        out = os.path.join(noise_dir, f"{kind}.raw")
        if os.path.exists(out):
            continue
        if kind == "hum":
            cmd = ["sox", "-r", str(SAMPLE_RATE), "-c", "3", "-n", "-c", "1", "-b", "16",
                   "-e", "signed-integer", "-t", "raw", out, "synth", "60", "sine", "50",
                   "sine", "150", "pinknoise", "remix", "1v0.5,2v0.3,3v0.4", "gain", "-n", "-3"]
        else:
            cmd = ["sox", "-n", "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", "-e", "signed-integer", "-t", "raw", out,
                   "synth", "60", kind, "gain", "-n", "-3"]
        subprocess.run(cmd, check=True, capture_output=True)


def plan_jobs(texts: list[str], voices: list[Voice], seed: int, prefix: str,
              augment: bool) -> list[dict]:
    """One job per text with a voice and augmentation drawn from the seeded RNG."""
    rng = random.Random(seed)
    jobs = []
    for i, text in enumerate(texts):
        voice = pick_voice(rng, voices)
        job = {
            "id": f"{prefix}{i:06d}",
            "text": text,
            "engine": voice.engine,
            "voice": voice.name,
            "rate": rng.uniform(0.8, 1.3) if augment else rng.uniform(0.9, 1.15),
            "pitch": rng.randint(25, 75) if augment else rng.randint(40, 60),
            "speed": rng.choice([0.9, 1.0, 1.0, 1.1]) if augment else 1.0,
            "reverb": rng.choice([0, 0, 0, 20, 40, 60]) if augment else 0,
            "bandlimit": augment and rng.random() < 0.2,
            "gain_db": rng.uniform(-20, -1),
            "noise": rng.choice(NOISE_KINDS) if rng.random() < 0.5 else None,
            "snr_db": rng.choice([30, 20, 15, 10, 5] if augment else [20, 15, 10]),
            "noise_offset": rng.random(),
        }
        jobs.append(job)
    return jobs


def pick_voice(rng: random.Random, voices: list[Voice]) -> Voice:
    """espeak has hundreds of voice pairs, flite and festival a handful; weight the
    engines so the few natural-sounding voices still get a fair share of the data."""
    by_engine: dict[str, list[Voice]] = {}
    for v in voices:
        by_engine.setdefault(v.engine, []).append(v)
    weights = {"espeak": 0.7, "flite": 0.15, "festival": 0.15}
    engines = [e for e in by_engine]
    engine = rng.choices(engines, [weights[e] for e in engines])[0]
    return rng.choice(by_engine[engine])


def tts(job: dict, out_path: str) -> None:
    text = job["text"]
    engine = job["engine"]
    if engine == "espeak":
        wpm = int(170 * job["rate"])
        cmd = ["espeak-ng", "-v", job["voice"], "-s", str(wpm), "-p", str(job["pitch"]),
               "-w", out_path, text]
        subprocess.run(cmd, check=True, capture_output=True)
    elif engine == "flite":
        f0 = 80 + job["pitch"] * 1.2
        cmd = ["flite", "-voice", job["voice"], "--setf", f"duration_stretch={1 / job['rate']:.3f}",
               "--setf", f"int_f0_target_mean={f0:.0f}", "-t", text, "-o", out_path]
        subprocess.run(cmd, check=True, capture_output=True)
    elif engine == "festival":
        cmd = ["text2wave", "-eval", f"(voice_{job['voice']})",
               "-eval", f"(Parameter.set 'Duration_Stretch {1 / job['rate']:.3f})", "-o", out_path]
        subprocess.run(cmd, input=text.encode(), check=True, capture_output=True)
    else:
        raise ValueError(f"unknown TTS engine {engine!r} in job {job['id']}")


def sox_effects(job: dict, src: str, dst: str) -> None:
    effects: list[str] = []
    if job["speed"] != 1.0:
        effects += ["speed", str(job["speed"])]
    if job["reverb"]:
        effects += ["reverb", str(job["reverb"])]
    if job["bandlimit"]:
        # telephone-like 8 kHz capture, as in the real-speech evaluation set
        effects += ["rate", "8000"]
    effects += ["rate", str(SAMPLE_RATE), "channels", "1", "gain", "-n", f"{job['gain_db']:.1f}",
                "pad", "0.15", "0.15"]
    # raw PCM out: sox may write WAVE_FORMAT_EXTENSIBLE headers that Python's wave rejects
    cmd = ["sox", src, "-t", "raw", "-e", "signed-integer", "-r", str(SAMPLE_RATE), "-b", "16",
           "-c", "1", dst] + effects
    subprocess.run(cmd, check=True, capture_output=True)


def read_wav(path: str) -> np.ndarray:
    with wave.open(path, "rb") as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1:
            raise ValueError(f"{path}: expected 16-bit mono")
        data = w.readframes(w.getnframes())
    return np.frombuffer(data, dtype=np.int16).astype(np.float32) / 32768.0


def read_raw(path: str) -> np.ndarray:
    return np.fromfile(path, dtype="<i2").astype(np.float32) / 32768.0


def write_wav(path: str, samples: np.ndarray) -> None:
    pcm = np.clip(np.round(samples * 32768.0), -32768, 32767).astype(np.int16)
    tmp = path + ".part"
    with wave.open(tmp, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(pcm.tobytes())
    os.replace(tmp, path)


def add_noise(x: np.ndarray, noise: np.ndarray, snr_db: float, offset: float) -> np.ndarray:
    start = int(offset * max(1, len(noise) - len(x)))
    n = noise[start:start + len(x)]
    if len(n) < len(x):
        n = np.resize(n, len(x))
    # SNR over the active speech only: TTS output has silence that would dilute the power
    active = x[np.abs(x) > 0.02 * (np.abs(x).max() + 1e-9)]
    ps = float(np.mean(active ** 2)) if len(active) else float(np.mean(x ** 2))
    pn = float(np.mean(n ** 2)) + 1e-12
    y = x + n * np.sqrt(ps / (pn * 10 ** (snr_db / 10)))
    peak = np.abs(y).max()
    return y / peak * 0.9 if peak > 0.99 else y


_noise_cache: dict[str, np.ndarray] = {}


def render(job: dict, wav_dir: str, noise_dir: str) -> dict:
    """Renders one job unless its wav exists; returns the manifest row."""
    out = os.path.join(wav_dir, job["id"] + ".wav")
    if not os.path.exists(out):
        with tempfile.TemporaryDirectory() as tmp:
            raw = os.path.join(tmp, "raw.wav")
            mid = os.path.join(tmp, "mid.raw")
            tts(job, raw)
            sox_effects(job, raw, mid)
            x = read_raw(mid)
            if job["noise"]:
                kind = job["noise"]
                if kind not in _noise_cache:
                    _noise_cache[kind] = read_raw(os.path.join(noise_dir, f"{kind}.raw"))
                x = add_noise(x, _noise_cache[kind], job["snr_db"], job["noise_offset"])
            write_wav(out, x)
    with wave.open(out, "rb") as w:
        duration = w.getnframes() / w.getframerate()
    row = {k: job[k] for k in ("id", "text", "engine", "voice", "noise", "snr_db")}
    row["path"] = out
    row["duration"] = round(duration, 3)
    return row


def write_manifest(path: str, rows: list[dict]) -> None:
    tmp = path + ".part"
    with open(tmp, "w", encoding="utf-8") as f:
        for r in sorted(rows, key=lambda r: r["id"]):
            f.write(json.dumps(r) + "\n")
    os.replace(tmp, path)


def read_manifest(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
