"""A one-line progress bar with rate and ETA, for long recipe stages."""
import sys
import time


class Progress:
    def __init__(self, total: int, label: str, every_s: float = 2.0):
        self.total = max(1, total)
        self.label = label
        self.every_s = every_s
        self.start = time.time()
        self.last = 0.0
        # a pipe (nohup log) gets whole lines; a terminal gets one rewritten line
        self.tty = sys.stderr.isatty()

    def update(self, done: int, extra: str = "") -> None:
        now = time.time()
        if done < self.total and now - self.last < self.every_s:
            return
        self.last = now
        elapsed = now - self.start
        frac = min(1.0, done / self.total)
        eta = elapsed / frac - elapsed if frac > 0 else float("nan")
        width = 30
        bar = "#" * int(frac * width) + "-" * (width - int(frac * width))
        line = (f"{self.label} [{bar}] {done}/{self.total} {frac * 100:5.1f}% "
                f"elapsed {_hms(elapsed)} eta {_hms(eta)} {extra}")
        sys.stderr.write(("\r" + line) if self.tty else (line + "\n"))
        if self.tty and done >= self.total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _hms(s: float) -> str:
    if s != s:  # NaN before the first unit of work
        return "--:--:--"
    s = int(s)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"
