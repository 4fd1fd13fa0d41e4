#!/usr/bin/env bash
# Installs what building and running Waarborg need beyond the Rust toolchain: cmake and nasm,
# with which the turbojpeg crate builds the libjpeg-turbo it vendors, and ffmpeg for video. Safe to run again: it installs
# only what is missing. Python 3 with pip must be present (it fetches the models).
set -euo pipefail
missing=()
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
command -v nasm >/dev/null 2>&1 || missing+=(nasm)
command -v cc >/dev/null 2>&1 || missing+=(build-essential)
# The fault-injection tests move the clock back for one process (libfaketime) and mount a
# small tmpfs in a user namespace (util-linux's unshare) to fill a disk to its last byte.
command -v faketime >/dev/null 2>&1 || missing+=(faketime)
command -v unshare >/dev/null 2>&1 || missing+=(util-linux)
if ! python3 -m pip --version >/dev/null 2>&1; then missing+=(python3-pip); fi
# Frames of recorded video are taken by Debian's ffmpeg and ffprobe (issue 18 item 3).
command -v ffprobe >/dev/null 2>&1 || missing+=(ffmpeg)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} with apt-get" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
