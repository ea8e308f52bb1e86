#!/usr/bin/env bash
# The SIGKILL durability soak (issue 12): runs test/integration/sigkill-durability.test.ts with
# more rounds than the test command's 5, and prints its summary line
# ("sigkill: rounds=K seed=S acked=N ... lost=0 ... duration=Ds").
#
# usage: scripts/sigkill-soak.sh [ROUNDS (50)] [SEED (12 2025)]
# Bounded: the vitest run is stopped after FLOTILLA_SOAK_TIMEOUT_S (default 3600) seconds.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

ROUNDS="${1:-50}"
SEED="${2:-122025}"
TIMEOUT_S="${FLOTILLA_SOAK_TIMEOUT_S:-3600}"

echo "sigkill soak: rounds=$ROUNDS seed=$SEED (replay: scripts/sigkill-soak.sh $ROUNDS $SEED)"
FLOTILLA_TEST_INTEGRATION=1 FLOTILLA_SIGKILL_ROUNDS="$ROUNDS" FLOTILLA_SIGKILL_SEED="$SEED" \
  timeout --foreground --kill-after=30 "$TIMEOUT_S" \
  npx vitest run test/integration/sigkill-durability.test.ts
