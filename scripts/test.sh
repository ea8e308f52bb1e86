#!/usr/bin/env bash
# The test command (`npm test`). Installs dependencies when node_modules is missing or stale, runs
# every check, counts each one, and ends with exactly "N passed, N failed" on the last line.
# Exits non-zero if anything failed. A failing step never skips the steps after it.
#
# Checks, each counted:
#   typecheck (1)  lint (1)  prettier --check (1)  vitest (1 per test; test/sim/failed-seeds.test.ts
#   replays every seed in test/sim/failed-seeds.json, the seeds that ever failed)
#   integration tests (1 per test; each test/integration/**/*.test.ts file in its own vitest run)
#   demo --ci (1: exit 0 and the verification line with lost=0 diverged=0)
#   simulator, core and runtime modes, each on its fixed seeds (from 0) and on fresh seeds (1 per
#   seed: seeds with neither a violation nor an incomplete history check pass; plus 1 per run:
#   every coverage counter non-zero)
#   chaos run (1: `npm run chaos` for 90 s with the fresh seed; exit 0 and a clean last line)
#
# Fresh seeds: each commit runs its own range, so every run explores new worlds yet any failure
# replays. The start, FRESH_SEED, is derived from the commit (`git rev-parse HEAD`, its first 8
# hex digits mapped into [1,000,000, 1,001,000,000), far above every fixed seed) and printed as
# "fresh seeds: start S (from commit <sha>)"; the same commit always runs the same seeds. Outside
# a git checkout it falls back to a fixed start and says so. Later steps (the chaos run) reuse
# FRESH_SEED. A fresh seed that fails goes into test/sim/failed-seeds.json.
#
# Knobs (environment): FLOTILLA_SIM_SEEDS (fixed core seeds, default 300),
# FLOTILLA_SIM_FRESH_SEEDS (fresh core seeds, default 300), FLOTILLA_SIM_RUNTIME_SEEDS (fixed
# runtime seeds, default 100), FLOTILLA_SIM_RUNTIME_FRESH_SEEDS (fresh runtime seeds, default
# 100), FLOTILLA_FRESH_SEED (overrides the derived start, e.g. to replay another commit's run),
# FLOTILLA_CHAOS_DURATION_S (the chaos run, default 90),
# and the per-step time bounds below.
set -u

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

SIM_SEEDS="${FLOTILLA_SIM_SEEDS:-300}"
SIM_FRESH_SEEDS="${FLOTILLA_SIM_FRESH_SEEDS:-300}"
SIM_RUNTIME_SEEDS="${FLOTILLA_SIM_RUNTIME_SEEDS:-100}"
SIM_RUNTIME_FRESH_SEEDS="${FLOTILLA_SIM_RUNTIME_FRESH_SEEDS:-100}"

# The fresh seeds' start, from the commit (see the header); one value for every step that uses it.
FRESH_SEED_BASE=1000000
if [ -n "${FLOTILLA_FRESH_SEED:-}" ]; then
  FRESH_SEED="$FLOTILLA_FRESH_SEED"
  FRESH_SEED_SOURCE="from FLOTILLA_FRESH_SEED"
elif COMMIT_SHA="$(git rev-parse HEAD 2>/dev/null)" && [[ "$COMMIT_SHA" =~ ^[0-9a-f]{8} ]]; then
  FRESH_SEED=$((FRESH_SEED_BASE + 16#${COMMIT_SHA:0:8} % 1000000000))
  FRESH_SEED_SOURCE="from commit $COMMIT_SHA"
else
  FRESH_SEED="$FRESH_SEED_BASE"
  FRESH_SEED_SOURCE="not a git checkout: the fixed fallback start"
fi
export FRESH_SEED
# Every run has a bound (STYLE.md §8): a hung step fails instead of hanging CI.
TYPECHECK_TIMEOUT_S="${FLOTILLA_TYPECHECK_TIMEOUT_S:-900}"
LINT_TIMEOUT_S="${FLOTILLA_LINT_TIMEOUT_S:-900}"
FORMAT_TIMEOUT_S="${FLOTILLA_FORMAT_TIMEOUT_S:-300}"
VITEST_TIMEOUT_S="${FLOTILLA_VITEST_TIMEOUT_S:-1800}"
INTEGRATION_FILE_TIMEOUT_S="${FLOTILLA_INTEGRATION_FILE_TIMEOUT_S:-900}"
SIM_TIMEOUT_S="${FLOTILLA_SIM_TIMEOUT_S:-1800}"
DEMO_TIMEOUT_S="${FLOTILLA_DEMO_TIMEOUT_S:-300}"
CHAOS_TIMEOUT_S="${FLOTILLA_CHAOS_TIMEOUT_S:-900}"
CHAOS_DURATION_S="${FLOTILLA_CHAOS_DURATION_S:-90}"

PASSED=0
FAILED=0
RESULTS=()

TMP_DIR="$(mktemp -d "${TMPDIR:-/tmp}/flotilla-test.XXXXXX")" || exit 1
trap 'rm -rf "$TMP_DIR"' EXIT

# --- helpers --------------------------------------------------------------------------------

step() {
  printf '\n==> %s\n' "$1"
}

# record NAME PASSED FAILED: adds a step's counts to the totals and prints its result.
record() {
  local name="$1" passed="$2" failed="$3" verdict="PASS"
  PASSED=$((PASSED + passed))
  FAILED=$((FAILED + failed))
  if [ "$failed" -gt 0 ]; then verdict="FAIL"; fi
  RESULTS+=("$(printf '%-4s %-40s %6d passed, %d failed' "$verdict" "$name" "$passed" "$failed")")
  printf '<== %s: %s (%d passed, %d failed)\n' "$name" "$verdict" "$passed" "$failed"
}

# bounded SECONDS CMD...: runs CMD with a time bound when coreutils' timeout is available.
# --foreground keeps Ctrl-C working; npm and vitest pass the TERM on to their children.
bounded() {
  local seconds="$1"
  shift
  if command -v timeout >/dev/null 2>&1; then
    timeout --foreground --kill-after=30 "$seconds" "$@"
  else
    "$@"
  fi
}

# explain_status NAME STATUS SECONDS: says why a command failed when the status is telling.
explain_status() {
  if [ "$2" -eq 124 ] || [ "$2" -eq 137 ]; then
    printf '%s: timed out after %ss (exit %s)\n' "$1" "$3" "$2"
  elif [ "$2" -ne 0 ]; then
    printf '%s: exit status %s\n' "$1" "$2"
  fi
}

# single_check NAME SECONDS CMD...: a command that is one check (exit 0 passes).
single_check() {
  local name="$1" seconds="$2" status
  shift 2
  step "$name: $*"
  bounded "$seconds" "$@"
  status=$?
  explain_status "$name" "$status" "$seconds"
  if [ "$status" -eq 0 ]; then record "$name" 1 0; else record "$name" 0 1; fi
}

# vitest_check NAME SECONDS [VITEST ARGS...]: one vitest run, each test counted.
vitest_check() {
  local name="$1" seconds="$2" report status counts
  shift 2
  report="$TMP_DIR/vitest-${#RESULTS[@]}.json"
  step "$name: vitest run${*:+ $*}"
  bounded "$seconds" npx vitest run --reporter=default --reporter=json --outputFile="$report" "$@"
  status=$?
  explain_status "$name" "$status" "$seconds"
  counts="$(node scripts/count-vitest.mjs "$report" "$status" | tail -n 1)"
  if [[ "$counts" =~ ^([0-9]+)\ ([0-9]+)$ ]]; then
    record "$name" "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
  else
    echo "$name: could not count the vitest results"
    record "$name" 0 1
  fi
}

finish() {
  printf '\n==> summary\n'
  local line
  for line in "${RESULTS[@]}"; do printf '%s\n' "$line"; done
  printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
  if [ "$FAILED" -gt 0 ]; then exit 1; fi
  exit 0
}

# --- prerequisites: Node >= 20 and an up-to-date node_modules --------------------------------

step "prerequisites"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "node and npm are required (Node >= 20): e.g. https://github.com/nodesource/distributions"
  record "prerequisites" 0 1
  finish
fi
NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
echo "node $(node --version), npm $(npm --version)"
if [ "$NODE_MAJOR" -lt 20 ]; then
  echo "Node >= 20 is required, found $(node --version)"
  record "prerequisites" 0 1
  finish
fi

if ! node scripts/install-is-current.mjs; then
  step "install: npm ci"
  if ! npm ci; then
    echo "npm ci failed: nothing else can run"
    record "install (npm ci)" 0 1
    finish
  fi
fi

# nats-server for the integration tests that claim NATS (installed from the OS packages when
# missing; those tests fail with a clear message when it cannot be had).
# shellcheck source=scripts/nats-server.sh
. scripts/nats-server.sh
ensure_nats_server
export FLOTILLA_NATS_SERVER="$NATS_SERVER_BIN"
# docker-compose validates docker-compose.yml (test/integration/compose-equivalence.test.ts).
ensure_docker_compose

# --- checks -----------------------------------------------------------------------------------

single_check "typecheck" "$TYPECHECK_TIMEOUT_S" npm run typecheck
single_check "lint" "$LINT_TIMEOUT_S" npm run lint
single_check "format" "$FORMAT_TIMEOUT_S" npm run format:check

vitest_check "unit tests" "$VITEST_TIMEOUT_S"

# Integration tests start real processes (nats-server, child nodes): one file per vitest run, so
# whatever a file starts is gone before the next begins. vitest.config.ts excludes them from the
# run above and selects them alone under FLOTILLA_TEST_INTEGRATION=1.
mapfile -t INTEGRATION_FILES < <(find test/integration -type f -name '*.test.ts' 2>/dev/null | sort)
if [ "${#INTEGRATION_FILES[@]}" -eq 0 ]; then
  step "integration tests"
  echo "no test/integration/**/*.test.ts files yet: nothing to run"
else
  for file in "${INTEGRATION_FILES[@]}"; do
    FLOTILLA_TEST_INTEGRATION=1 vitest_check "integration ${file#test/integration/}" \
      "$INTEGRATION_FILE_TIMEOUT_S" "$file"
  done
fi

# The demo's short version: one check, passed when it exits 0 and its last line is the
# verification line with nothing lost and nothing diverged.
step "demo: npm run demo -- --ci"
DEMO_LOG="$TMP_DIR/demo.log"
bounded "$DEMO_TIMEOUT_S" bash scripts/demo.sh --ci 2>&1 | tee "$DEMO_LOG"
DEMO_STATUS="${PIPESTATUS[0]}"
explain_status "demo" "$DEMO_STATUS" "$DEMO_TIMEOUT_S"
DEMO_LAST="$(grep -v '^npm warn' "$DEMO_LOG" | tail -n 1)"
if [ "$DEMO_STATUS" -eq 0 ] && [[ "$DEMO_LAST" =~ ^demo:\ acknowledged=[1-9][0-9]*\ lost=0\ diverged=0\ failovers=[0-9]+$ ]]; then
  record "demo --ci (verification line)" 1 0
else
  echo "demo: exit $DEMO_STATUS, last line: $DEMO_LAST"
  record "demo --ci (verification line)" 0 1
fi

# start_sim LOG ARGS...: starts one simulator run in the background (its output in LOG, its exit
# status in LOG.status once it ends); SIM_PID is its process. Seeds are deterministic and share
# nothing, so two runs side by side use both cores without changing any verdict.
start_sim() {
  local log="$1"
  shift
  (
    bounded "$SIM_TIMEOUT_S" npm run sim -- "$@" >"$log" 2>&1
    echo "$?" >"$log.status"
  ) &
  SIM_PID=$!
}

# run_sim_pair NAME_A LOG_A ARGS_A... -- NAME_B LOG_B ARGS_B...: two runs at once, counted in order.
run_sim_pair() {
  local name_a="$1" log_a="$2" args_a=() name_b log_b pid_a
  shift 2
  while [ "$1" != "--" ]; do args_a+=("$1"); shift; done
  shift
  name_b="$1" log_b="$2"
  shift 2
  step "$name_a: npm run sim -- ${args_a[*]}  |  $name_b: npm run sim -- $*"
  start_sim "$log_a" "${args_a[@]}"
  pid_a="$SIM_PID"
  start_sim "$log_b" "$@"
  wait "$pid_a" "$SIM_PID"
  cat "$log_a"
  count_sim "$name_a" "$log_a" "$(cat "$log_a.status")"
  cat "$log_b"
  count_sim "$name_b" "$log_b" "$(cat "$log_b.status")"
}

# count_sim NAME LOG STATUS: the checks of one finished simulator run: each seed is one check
# ("sim: N seeds, V violations, I incomplete": a seed with a violation or an incomplete history
# check fails), then one check that every coverage counter of the run is non-zero, so a
# simulator that quietly stops injecting a fault or exercising a feature fails here.
count_sim() {
  local name="$1" log="$2" status="$3" line seeds_run violations incomplete failed passed coverage
  explain_status "$name" "$status" "$SIM_TIMEOUT_S"
  line="$(grep -E '^sim: [0-9]+ seeds, [0-9]+ violations?' "$log" | tail -n 1)"
  if [[ "$line" =~ ^sim:\ ([0-9]+)\ seeds,\ ([0-9]+)\ violations?(,\ ([0-9]+)\ incomplete)? ]]; then
    seeds_run="${BASH_REMATCH[1]}"
    violations="${BASH_REMATCH[2]}"
    incomplete="${BASH_REMATCH[4]:-0}"
    failed=$((violations + incomplete))
    if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
      echo "$name: exit status $status with no violation reported: counted as 1 failure"
      failed=1
    fi
    passed=$((seeds_run - violations - incomplete))
    if [ "$passed" -lt 0 ]; then passed=0; fi
    record "$name ($seeds_run seeds)" "$passed" "$failed"
  else
    echo "$name: no 'sim: N seeds, V violations, I incomplete' summary line (exit $status)"
    record "$name" 0 1
  fi
  coverage="$(grep -E '^coverage: ' "$log" | tail -n 1)"
  echo "$coverage"
  if [ -n "$coverage" ] && ! grep -qE '=0( |$)' <<<"$coverage"; then
    record "$name coverage (every counter > 0)" 1 0
  else
    echo "$name coverage: a counter is zero, or the coverage line is missing"
    record "$name coverage (every counter > 0)" 0 1
  fi
}

# The core simulator, then the simulator driving the runtime (real FlotillaNode hosts): the
# fixed seeds from 0, then the commit's fresh range (a failure there replays with the printed
# command; add the seed to test/sim/failed-seeds.json).
step "fresh seeds: start $FRESH_SEED ($FRESH_SEED_SOURCE)"
echo "fresh seeds: start $FRESH_SEED ($FRESH_SEED_SOURCE)"
# Each mode's fixed and fresh runs go side by side, one per core.
run_sim_pair "simulator" "$TMP_DIR/sim.log" --seeds "$SIM_SEEDS" -- \
  "simulator, fresh seeds" "$TMP_DIR/sim-fresh.log" --seeds "$SIM_FRESH_SEEDS" --start "$FRESH_SEED"
run_sim_pair "runtime simulator" "$TMP_DIR/sim-runtime.log" --runtime --seeds "$SIM_RUNTIME_SEEDS" -- \
  "runtime simulator, fresh seeds" "$TMP_DIR/sim-runtime-fresh.log" \
  --runtime --seeds "$SIM_RUNTIME_FRESH_SEEDS" --start "$FRESH_SEED"

# The chaos run (docs/reliability.md): real node processes over a 3-server NATS cluster under a
# seeded nemesis, the histories checked afterwards. One check: exit 0 and a last line saying
# nothing was lost, linearizable, streams ok, nothing diverged and fencing held. Its seed is the
# commit's FRESH_SEED, so a failure replays with the command it prints.
step "chaos: npm run chaos -- --duration $CHAOS_DURATION_S --seed $FRESH_SEED"
CHAOS_LOG="$TMP_DIR/chaos.log"
bounded "$CHAOS_TIMEOUT_S" npm run chaos -- --duration "$CHAOS_DURATION_S" --seed "$FRESH_SEED" \
  --out "$TMP_DIR/chaos-results" 2>&1 | tee "$CHAOS_LOG"
CHAOS_STATUS="${PIPESTATUS[0]}"
explain_status "chaos" "$CHAOS_STATUS" "$CHAOS_TIMEOUT_S"
CHAOS_LAST="$(grep -E '^chaos: ops=' "$CHAOS_LOG" | tail -n 1)"
if [ "$CHAOS_STATUS" -eq 0 ] && [[ "$CHAOS_LAST" =~ \ lost=0\ linearizable=yes\ incomplete=0\ streams=ok\ diverged=0\ fenced=ok\  ]]; then
  record "chaos run (${CHAOS_DURATION_S} s, seed $FRESH_SEED)" 1 0
else
  echo "chaos: exit $CHAOS_STATUS, last line: $CHAOS_LAST"
  record "chaos run (${CHAOS_DURATION_S} s, seed $FRESH_SEED)" 0 1
fi

finish
