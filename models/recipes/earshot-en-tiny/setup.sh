#!/bin/sh
# Installs everything the earshot-en-tiny recipe needs from Debian (bookworm, main).
# PyTorch comes from Debian so the recipe runs with the system interpreter /usr/bin/python3,
# offline, without pip. Voices: every English TTS voice Debian main ships (espeak-ng with
# its dialects and variants, flite, festival); MBROLA and svox pico are not in main.
set -eu

PACKAGES="python3-torch python3-torchaudio python3-onnx python3-numpy \
  espeak-ng flite festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts \
  sox libsox-fmt-all wamerican fortunes fortunes-min"

if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi

missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done

if [ -z "$missing" ]; then
  echo "setup: all packages present"
  exit 0
fi

echo "setup: installing$missing"
$SUDO apt-get update
# shellcheck disable=SC2086  # word splitting of the package list is intended
$SUDO apt-get install -y --no-install-recommends $missing
