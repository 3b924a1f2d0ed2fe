# The two commands: `make run` and `make test`. Everything they need is installed on the way.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: all deps build test run bench bench-cold bench-scale bench-extras bench-flood soak sanitize fuzz readme clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/CMakeCache.txt: CMakeLists.txt | deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

# Unit tests and end-to-end tests against real anvil nodes, then a short fuzz run.
test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 600
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=15

# libFuzzer (clang, ASan+UBSan) over query validation, the HTTP parser, token decoding and
# rendering, and price-API bodies, starting from fuzz/corpus. FUZZ_SECONDS=600 for a long run.
FUZZ_SECONDS ?= 120
fuzz: deps
	cmake -S fuzz -B $(BUILD)-fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD)-fuzz -j$(JOBS)
	rm -rf $(BUILD)-fuzz/work && mkdir -p $(BUILD)-fuzz/work
	$(BUILD)-fuzz/request_fuzzer -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -print_final_stats=1 \
	  $(BUILD)-fuzz/work fuzz/corpus > $(BUILD)-fuzz/fuzz.log 2>&1; rc=$$?; tail -n 8 $(BUILD)-fuzz/fuzz.log; exit $$rc

# A local demo chain with a seeded credit account, served on 127.0.0.1:8080.
run: build
	$(BUILD)/src/app/creditscope devnet --config config/devnet.toml

# creditscope (stateless, indexed) against a viem script, Ponder and the RPC floor on seeded histories
# (S, M, L); writes BENCHMARKS.md and bench/results/. SCALE=0.1 for a quick run.
bench: build
	@scripts/install-deps.sh --bench
	bench/run.sh

# The first answer on a chain that looks 39M blocks long, through provider-shaped proxies (range cap,
# rate limit, result cap), stateless and indexed, beside each provider's floor. Writes
# bench/results/cold.md and the "Cold path" section of BENCHMARKS.md. About 4 minutes.
bench-cold: build
	$(BUILD)/bench/creditscope-cold-bench
	python3 bench/section.py cold

# 100,000 tracked accounts (1,000 with 20 transfers) on SQLite and on a throw-away PostgreSQL:
# RSS, restart to ready, follower calls per block, hot and not-in-cache latency, one vs two
# replicas. Writes bench/results/scale.md. About 10 minutes; ACCOUNTS=20000 for a quick run.
ACCOUNTS ?= 100000
bench-scale: build
	$(BUILD)/bench/creditscope-scale-bench $(ACCOUNTS) 1000
	python3 bench/section.py scale

# Warm answers/s and MiB/s of the large account plain, gzipped and as 304s, and the CSV export of
# 20,000 transfers against JSON pages, with peak RSS. Writes bench/results/extras.md and the
# "Extras" section of BENCHMARKS.md. About a minute.
bench-extras: build
	$(BUILD)/bench/creditscope-extras-bench 5
	python3 bench/section.py extras

# A tracked owner's p50/p99 while one client floods the server with random owners, with the
# new-account limits at their defaults and off. Writes bench/results/flood.md and the "Flood"
# section of BENCHMARKS.md. About a minute.
bench-flood: build
	$(BUILD)/bench/creditscope-flood-bench 5
	python3 bench/section.py flood

# SOAK_MINUTES of transfers, reorgs, 10% RPC faults, kill -9 of the leader every 60 s and a
# PostgreSQL crash and restart every 60 s, with two replicas checked against the chain all the
# time. Prints and writes the figures (bench/results/soak.md, the "Soak" section of BENCHMARKS.md);
# fails on any wrong answer.
SOAK_MINUTES ?= 10
soak: build
	SOAK_MINUTES=$(SOAK_MINUTES) $(BUILD)/bench/creditscope-soak
	python3 bench/section.py soak

# Unit tests built with AddressSanitizer and UndefinedBehaviorSanitizer.
UNIT_TESTS = core_test chain_test store_test indexer_test pricing_test api_test app_test
sanitize: deps
	cmake -S . -B $(BUILD)-asan -DCMAKE_BUILD_TYPE=Debug -DCREDITSCOPE_SANITIZE=ON
	cmake --build $(BUILD)-asan -j$(JOBS) --target $(UNIT_TESTS)
	cd $(BUILD)-asan && UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ctest --output-on-failure -j$(JOBS) -E '^e2e'


# Regenerates README.md's configuration table from the key table (app_test checks they agree).
readme: build
	scripts/update-readme.sh $(BUILD)/src/app/creditscope

clean:
	rm -rf $(BUILD) $(BUILD)-asan $(BUILD)-fuzz
