#!/usr/bin/env bash
# Installs what building Waarborg needs beyond the Rust toolchain: cmake and nasm, with which
# the turbojpeg crate builds the libjpeg-turbo it vendors. Safe to run again: it installs
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
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} with apt-get" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
