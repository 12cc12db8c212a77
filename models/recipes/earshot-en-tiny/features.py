"""Log-mel filterbank features exactly as sherpa-onnx (1.13.x) computes them for a NeMo CTC
model, so that a model trained on these features decodes the same under sherpa-onnx and
under Earshot's engine.

sherpa-onnx's OfflineRecognizerCtcImpl::Init sets, for a (non-GigaAM) NeMo CTC model:
low_freq=0, high_freq=0 (= Nyquist), is_librosa=true, remove_dc_offset=false,
window_type="hann"; OfflineStream passes dither (0), snip_edges (false), frame length/shift
(25/10 ms) to kaldi-native-fbank and leaves preemph_coeff (0.97) and round_to_power_of_two
(true, so a 512-point FFT) at knf's defaults. Samples are floats in [-1, 1]. After the
log-mel, 'per_feature' normalisation (model metadata normalize_type) subtracts each mel
bin's mean over the utterance and divides by (population std + 1e-5).
See README.md of this recipe for the full list.
"""
import math

import torch

SAMPLE_RATE = 16000
FRAME_LEN = 400      # 25 ms
FRAME_SHIFT = 160    # 10 ms
N_FFT = 512          # round_to_power_of_two
NUM_MEL = 80
PREEMPH = 0.97
LOG_FLOOR = 1.1920928955078125e-07  # std::numeric_limits<float>::epsilon()


def _slaney_mel(hz: float) -> float:
    if hz <= 1000:
        return hz * 3 / 200.0
    return 15 + 14.545078505785561 * math.log(hz / 1000)


def _slaney_hz(mel: float) -> float:
    if mel <= 15:
        return 200.0 / 3 * mel
    return 1000 * math.exp((mel - 15) * 0.06875177742094911)


def mel_matrix() -> torch.Tensor:
    """[257, 80] librosa-style (Slaney scale, Slaney norm) triangular filters over the
    257 FFT bins, as kaldi-native-fbank's InitLibrosaMelBanks builds them."""
    n_bins = N_FFT // 2 + 1
    bin_width = SAMPLE_RATE / N_FFT
    lo, hi = _slaney_mel(0.0), _slaney_mel(SAMPLE_RATE / 2)
    delta = (hi - lo) / (NUM_MEL + 1)
    m = torch.zeros(n_bins, NUM_MEL, dtype=torch.float64)
    for b in range(NUM_MEL):
        left = _slaney_hz(lo + b * delta)
        center = _slaney_hz(lo + (b + 1) * delta)
        right = _slaney_hz(lo + (b + 2) * delta)
        for i in range(n_bins):
            hz = bin_width * i
            if left < hz < right:
                w = (hz - left) / (center - left) if hz <= center else (right - hz) / (right - center)
                m[i, b] = w * 2 / (right - left)
    return m.float()


_MEL = mel_matrix()
# periodic Hann, as knf uses for window_type "hann"
_WINDOW = (0.5 - 0.5 * torch.cos(2 * math.pi * torch.arange(FRAME_LEN, dtype=torch.float64) / FRAME_LEN)).float()


def num_frames(num_samples: int) -> int:
    # snip_edges=false: round(num_samples / shift)
    return (num_samples + FRAME_SHIFT // 2) // FRAME_SHIFT


def fbank(samples: torch.Tensor) -> torch.Tensor:
    """samples: 1-D float tensor in [-1, 1] at 16 kHz -> [T, 80] log-mel."""
    n = samples.shape[0]
    t = num_frames(n)
    if t == 0:
        return torch.zeros(0, NUM_MEL)
    # frame f is centred on f*shift + shift/2; samples outside the signal are reflected
    starts = torch.arange(t) * FRAME_SHIFT + FRAME_SHIFT // 2 - FRAME_LEN // 2
    idx = starts[:, None] + torch.arange(FRAME_LEN)[None, :]
    while bool(((idx < 0) | (idx >= n)).any()):
        idx = torch.where(idx < 0, -idx - 1, idx)
        idx = torch.where(idx >= n, 2 * n - 1 - idx, idx)
    frames = samples[idx].double()
    # preemphasis per frame, first sample against itself (knf Preemphasize)
    prev = torch.cat([frames[:, :1], frames[:, :-1]], dim=1)
    frames = frames - PREEMPH * prev
    frames = frames * _WINDOW.double()
    spec = torch.fft.rfft(frames, n=N_FFT)
    power = spec.real ** 2 + spec.imag ** 2
    mel = power.float() @ _MEL
    return torch.log(torch.clamp(mel, min=LOG_FLOOR))


def normalize_per_feature(feats: torch.Tensor) -> torch.Tensor:
    """[T, 80] -> per-mel-bin zero mean / unit std over the utterance (sherpa-onnx
    NemoNormalizePerFeature: population variance, std + 1e-5)."""
    mean = feats.mean(dim=0, keepdim=True)
    var = (feats.pow(2).mean(dim=0, keepdim=True) - mean.pow(2)).clamp(min=0)
    return (feats - mean) / (var.sqrt() + 1e-5)


def features(samples: torch.Tensor) -> torch.Tensor:
    """The model input for one utterance: [T, 80] normalised log-mel."""
    return normalize_per_feature(fbank(samples))
