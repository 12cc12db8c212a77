"""A small fully convolutional CTC acoustic model (QuartzNet-like time-channel separable
convolutions, https://arxiv.org/abs/1910.10261) sized to train on a 2-core CPU in about an
hour. Input and output follow the NeMo EncDecCTC ONNX contract sherpa-onnx loads:
audio_signal [N, 80, T] float32 and length [N] int64 in, log-probs [N, T/4, V] out.
"""
import torch
from torch import nn

SUBSAMPLING = 4


class Block(nn.Module):
    """Depthwise conv over time + pointwise mixing + feed-forward, each residual."""

    def __init__(self, dim: int, kernel: int, dropout: float):
        super().__init__()
        self.dw = nn.Conv1d(dim, dim, kernel, padding=kernel // 2, groups=dim)
        self.pw = nn.Conv1d(dim, dim, 1)
        self.bn1 = nn.BatchNorm1d(dim)
        self.ff = nn.Sequential(nn.Conv1d(dim, dim * 2, 1), nn.GELU(), nn.Dropout(dropout),
                                nn.Conv1d(dim * 2, dim, 1))
        self.bn2 = nn.BatchNorm1d(dim)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop(torch.nn.functional.gelu(self.bn1(self.pw(self.dw(x)))))
        return x + self.drop(self.bn2(self.ff(x)))


class TinyCtc(nn.Module):
    def __init__(self, vocab_size: int, feat_dim: int = 80, dim: int = 192, blocks: int = 6,
                 kernel: int = 11, dropout: float = 0.1):
        super().__init__()
        # two stride-2 convolutions: 10 ms frames -> 40 ms, enough for ~20 chars/s
        self.sub = nn.Sequential(
            nn.Conv1d(feat_dim, dim, 5, stride=2, padding=2), nn.BatchNorm1d(dim), nn.GELU(),
            nn.Conv1d(dim, dim, 5, stride=2, padding=2), nn.BatchNorm1d(dim), nn.GELU(),
        )
        self.blocks = nn.Sequential(*[Block(dim, kernel, dropout) for _ in range(blocks)])
        self.out = nn.Conv1d(dim, vocab_size, 1)

    def forward(self, audio_signal: torch.Tensor, length: torch.Tensor):
        x = self.blocks(self.sub(audio_signal))
        logits = self.out(x).transpose(1, 2)  # [N, T', V]
        # output lengths also keep `length` in the exported graph (an unused input would be
        # dropped by torch.onnx.export and the model would not load)
        out_len = torch.div(length + SUBSAMPLING - 1, SUBSAMPLING, rounding_mode="floor")
        return torch.log_softmax(logits, dim=-1), out_len


def param_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
