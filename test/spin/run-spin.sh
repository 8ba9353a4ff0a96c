#!/bin/bash
# Model-checks agree.pml: generates the verifier with spin, compiles it, and
# runs two searches: safety (assertions and invalid end states, i.e.
# deadlocks) and non-progress cycles (livelock). Fails on any error.
#   run-spin.sh MODEL.pml WORKDIR
# Exit status: 0 verified, 1 an error was found (the trail is replayed),
# 77 spin is not installed (Meson's "skipped").
set -euo pipefail
model=$(realpath "$1")
work=$2

if ! command -v spin >/dev/null; then
    echo "SKIP: spin is not installed (apt-get install spin); the agreement model was not checked"
    exit 77
fi
mkdir -p "$work"
cd "$work"
# Work on a copy, so the trail file lands beside it and replays with spin -t.
cp "$model" agree.pml
model=agree.pml

check() {
    local name=$1 ccflags=$2 runflags=$3
    echo "== $name"
    rm -f pan pan.* ./*.trail
    spin -a "$model" >/dev/null
    # -DSAFETY drops the cycle-detection code the safety search does not need.
    gcc -O2 -w $ccflags -o pan pan.c
    local start=$SECONDS
    ./pan $runflags | tee "$name.out"
    echo "($name: $((SECONDS - start)) s)"
    if grep -Eq "errors: [1-9]|VECTORSZ|max search depth too small|out of memory" "$name.out" ||
       ! grep -q "errors: 0" "$name.out"; then
        echo "FAIL: $name found a problem; the trail:"
        if ls ./*.trail >/dev/null 2>&1; then spin -t -p -g "$model" | tail -60; fi
        exit 1
    fi
}

# Safety: assertions, invalid end states (deadlock). -m: search depth.
check safety "-DSAFETY -DCOLLAPSE" "-m2000000 -c1"
# Liveness: no cycle that avoids every progress label (livelock), weak fairness.
check progress "-DNP -DCOLLAPSE" "-l -f -m2000000 -c1"
echo "agree.pml verified"
