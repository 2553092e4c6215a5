# renkei - a plain Makefile with pkg-config.
#
#   make run        install what is missing, build, start the demo hub
#   make test       install what is missing, build, run the whole suite (on SQLite,
#                   then on a throw-away PostgreSQL cluster: scripts/pg.sh)
#   make SANITIZE=address,undefined test    the suite under ASan + UBSan
#   make fuzz       run every libFuzzer target (FUZZ_SECONDS each)
#   make WERROR=1   warnings are errors (CI)

CC        ?= cc
CLANG     ?= clang
PKGS      := libmicrohttpd jansson sqlite3 libsodium libpq
TEST_PKGS := cmocka libcurl
SANITIZE  ?=
WERROR    ?=
FUZZ_SECONDS ?= 60
DEMO_DIR  ?= var/demo
# The model test (tests/model) adopts the readings of DESIGN.md §3 that
# docs/decisions.md records; MODEL_STEPS random operations with a fixed seed.
MODEL_LENIENT ?= green-members,outsiders-closed
MODEL_STEPS   ?= 1500
PORT      ?= 8080

ifeq ($(SANITIZE),)
BUILD     := build
SANFLAGS  :=
else
BUILD     := build-san
SANFLAGS  := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

WARN      := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
             -Wpointer-arith -Wvla -Wno-missing-field-initializers
ifneq ($(WERROR),)
WARN      += -Werror
endif

CFLAGS    ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(SANFLAGS) $(CFLAGS) \
             $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS       = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread
TEST_LIBS  = $(shell pkg-config --libs $(TEST_PKGS) 2>/dev/null)

LIB_SRC   := $(sort $(wildcard src/common/*.c src/store/*.c src/stix/*.c src/policy/*.c src/api/*.c src/http/*.c))
CLI_SRC   := $(sort $(wildcard src/cli/*.c))
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ   := $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
API_SRC   := $(sort $(wildcard tests/api/test_*.c))
API_BIN   := $(API_SRC:tests/api/%.c=$(BUILD)/tests/api_%)
API_LIB   := tests/api/harness.c
MODEL_SRC := $(sort $(wildcard tests/model/test_*.c))
MODEL_BIN := $(MODEL_SRC:tests/model/%.c=$(BUILD)/tests/model_%)
MODEL_LIB := $(filter-out $(MODEL_SRC),$(wildcard tests/model/*.c))
FUZZ_SRC  := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_BIN  := $(FUZZ_SRC:fuzz/%.c=build-fuzz/%)
FUZZ_LIB  := $(filter-out src/http/%,$(LIB_SRC))
BENCH_BIN := $(BUILD)/bench/post_load
# What runs again on PostgreSQL (scripts/run-tests.sh: pg:PROGRAM), in a
# throw-away cluster that the runner starts and removes.
PG_ONLY   := tests/pg/test_replica.sh
PG_TESTS  := $(addprefix pg:,$(API_BIN) $(MODEL_BIN) tests/conformance/run.sh $(PG_ONLY))

.PHONY: all deps run test unit api api-pg model bench bench-pg fuzz fuzz-smoke clean format format-check demo

all: $(BUILD)/renkei

deps:
	@sh scripts/deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/renkei: $(LIB_OBJ) $(CLI_OBJ)
	$(CC) $(SANFLAGS) $(CFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB_OBJ) $(LIBS) $(TEST_LIBS)

$(BUILD)/tests/api_%: tests/api/%.c $(API_LIB) tests/api/harness.h $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(API_LIB) $(LIB_OBJ) $(LIBS) $(TEST_LIBS)

$(BUILD)/tests/model_%: tests/model/%.c $(MODEL_LIB) $(API_LIB) tests/api/harness.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(MODEL_LIB) $(API_LIB) $(LIBS) $(TEST_LIBS)

$(BUILD)/bench/post_load: bench/post_load.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(shell pkg-config --cflags libcurl 2>/dev/null) -o $@ $< \
		$(shell pkg-config --libs jansson libcurl 2>/dev/null)

# The performance benchmark of DESIGN.md §7 (about 10 minutes; docs/PERFORMANCE.md).
bench: deps
	@$(MAKE) --no-print-directory all $(BENCH_BIN)
	RENKEI_BIN=$(BUILD)/renkei python3 bench/run.py $(BENCH_ARGS)

# The same benchmark on PostgreSQL: a throw-away cluster (scripts/pg.sh) with
# fsync on and synchronous_commit off, removed afterwards.
bench-pg: deps
	@$(MAKE) --no-print-directory all $(BENCH_BIN)
	@dir=$$(mktemp -d /tmp/renkei-bench-pg.XXXXXX); chmod 755 $$dir; port=$$(sh scripts/pg.sh freeport 55600); \
	trap 'sh scripts/pg.sh stop '"$$dir"'/pg >/dev/null 2>&1; rm -rf '"$$dir" EXIT INT TERM; \
	base=$$(PG_FSYNC=on PG_SHARED_BUFFERS=256MB sh scripts/pg.sh start $$dir/pg $$port) && \
	psql -qX -d "$$base/postgres" -c 'CREATE DATABASE renkei_bench' && \
	RENKEI_BIN=$(BUILD)/renkei python3 bench/run.py --database "$$base/renkei_bench" $(BENCH_ARGS)

# The demo hub on 127.0.0.1:$(PORT), made on first run and kept in $(DEMO_DIR).
run: deps
	@$(MAKE) --no-print-directory all
	@sh scripts/run-demo.sh $(BUILD)/renkei $(DEMO_DIR) $(PORT)

# The unit tests, the API tests against the real server, the randomised model
# of the sharing rules (tests/model), and the independent spec-driven client
# (tests/conformance) against the demo hub; then the API tests, the model and
# the conformance check again on PostgreSQL, with the read-replica test.
test: deps
	@$(MAKE) --no-print-directory all $(UNIT_BIN) $(API_BIN) $(MODEL_BIN) $(BENCH_BIN)
	@RENKEI_MODEL_LENIENT=$(MODEL_LENIENT) RENKEI_MODEL_STEPS=$(MODEL_STEPS) \
		sh scripts/run-tests.sh $(BUILD) $(UNIT_BIN) $(API_BIN) $(MODEL_BIN) \
		tests/conformance/run.sh bench/smoke.sh $(PG_TESTS)

unit: $(UNIT_BIN)
	@sh scripts/run-tests.sh $(BUILD) $(UNIT_BIN)

api: all $(API_BIN)
	@sh scripts/run-tests.sh $(BUILD) $(API_BIN)

# The API tests and the read-replica test on PostgreSQL only (a throw-away
# cluster, or the one $RENKEI_TEST_PG names).
api-pg: all $(API_BIN)
	@sh scripts/run-tests.sh $(BUILD) $(addprefix pg:,$(API_BIN) $(PG_ONLY))

# libFuzzer targets: clang, ASan + UBSan, the parsers only (no HTTP).
build-fuzz/%: fuzz/%.c $(FUZZ_LIB)
	@mkdir -p build-fuzz
	$(CLANG) -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
		$(shell pkg-config --cflags $(PKGS)) -o $@ $< $(FUZZ_LIB) $(LIBS)

fuzz: deps $(FUZZ_BIN)
	@sh scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_BIN)

fuzz-smoke: $(FUZZ_BIN)
	@sh scripts/fuzz.sh 20 $(FUZZ_BIN)

format:
	clang-format -i $$(git ls-files 'src/*.[ch]' 'tests/*.[ch]' 'fuzz/*.[ch]' 'bench/*.[ch]')

format-check:
	@clang-format --dry-run --Werror $$(git ls-files 'src/*.[ch]' 'tests/*.[ch]' 'fuzz/*.[ch]' 'bench/*.[ch]')

clean:
	rm -rf build build-san build-fuzz

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)

model: all $(MODEL_BIN)
	@RENKEI_MODEL_LENIENT=$(MODEL_LENIENT) RENKEI_MODEL_STEPS=$(MODEL_STEPS) \
		sh scripts/run-tests.sh $(BUILD) $(MODEL_BIN)
