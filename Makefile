# tinystdb - one hand-written Makefile.  Book: chapter 2, book/02-foundations.md
#
#   make            build/tinystdb
#   make test       every test: unit (cmocka), spectest, book check
#   make check      the tests under ASan + UBSan (in build/san)
#   make bench      benchmarks, one "bench NAME: VALUE UNIT" line each
#   make demo       a guided tour (see README)
#   make spectest SPECTEST_DIR=DIR   the spec suite runner on one converted suite
#   make check-book the book's code excerpts against the source
#   make wasm       rebuild the committed .wasm files (needs clang + wasm-ld)
#   make exercise N run coursework exercise N's tests (book chapter 31);
#   make exercises  list the exercises

CC      ?= cc
BUILD   ?= build
OPT     ?= -O2 -g
SAN     ?=
CFLAGS  := -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror $(OPT) $(SAN) -MMD -MP
LDLIBS  := -lm
SHARED  ?= $(or $(TINYSTDB_SHARED),../shared)

LIB_SRC  := $(filter-out src/cli/main.c, $(wildcard src/util/*.c src/wasm/*.c src/db/*.c \
              src/host/*.c src/net/*.c src/sched/*.c src/cli/*.c src/sql/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
TESTS    := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/test_*.c))
TOOLS    := $(BUILD)/bookcheck $(BUILD)/spectest $(BUILD)/wasmbench $(BUILD)/dbbench $(BUILD)/loopbench $(BUILD)/hostbench $(BUILD)/loadgen $(BUILD)/timerbench $(BUILD)/logbench $(BUILD)/subbench

.PHONY: all test check bench demo spectest check-book wasm clean cmocka exercise exercises
all: $(BUILD)/tinystdb

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libtinystdb.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/tinystdb: $(BUILD)/obj/src/cli/main.o $(BUILD)/libtinystdb.a
	$(CC) $(SAN) $^ -o $@ $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(BUILD)/libtinystdb.a | cmocka
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc -Itests $< $(BUILD)/libtinystdb.a -o $@ -lcmocka $(LDLIBS)

$(BUILD)/spectest: tests/spectest.c $(BUILD)/libtinystdb.a
	$(CC) $(CFLAGS) -Isrc $(filter %.c %.a,$^) -o $@ $(LDLIBS)

$(BUILD)/wasmbench: tests/bench/wasmbench.c $(BUILD)/libtinystdb.a
	$(CC) $(CFLAGS) -Isrc $(filter %.c %.a,$^) -o $@ $(LDLIBS)

$(BUILD)/dbbench: tests/bench/dbbench.c $(BUILD)/libtinystdb.a
	$(CC) $(CFLAGS) -Isrc $(filter %.c %.a,$^) -o $@ $(LDLIBS)

$(BUILD)/hostbench: tests/bench/hostbench.c $(BUILD)/libtinystdb.a
	$(CC) $(CFLAGS) -Isrc $(filter %.c %.a,$^) -o $@ $(LDLIBS)

$(BUILD)/subbench: tools/subbench.c $(BUILD)/libtinystdb.a
	$(CC) $(CFLAGS) -Isrc $(filter %.c %.a,$^) -o $@ $(LDLIBS)

$(BUILD)/loadgen: tools/loadgen.c $(BUILD)/libtinystdb.a
	$(CC) $(CFLAGS) -Isrc $(filter %.c %.a,$^) -o $@ $(LDLIBS)

$(BUILD)/timerbench: tests/bench/timerbench.c $(BUILD)/libtinystdb.a
	$(CC) $(CFLAGS) -Isrc $(filter %.c %.a,$^) -o $@ $(LDLIBS)

$(BUILD)/logbench: tests/bench/logbench.c $(BUILD)/libtinystdb.a
	$(CC) $(CFLAGS) -Isrc $(filter %.c %.a,$^) -o $@ $(LDLIBS)

$(BUILD)/loopbench: tests/bench/loopbench.c $(BUILD)/libtinystdb.a
	$(CC) $(CFLAGS) -Isrc $(filter %.c %.a,$^) -o $@ $(LDLIBS)

$(BUILD)/bookcheck: tools/bookcheck.c
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS) $< -o $@

# cmocka: detected by its header; installed with apt-get when we can.
cmocka:
	@sh tools/ensure-cmocka.sh

test: all $(TESTS) $(TOOLS)
	@sh tools/run-tests.sh $(BUILD) "$(SHARED)"

check:
	$(MAKE) BUILD=build/san OPT="-O1 -g" SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" test

bench: all $(BUILD)/wasmbench $(BUILD)/dbbench $(BUILD)/loopbench $(BUILD)/hostbench $(BUILD)/loadgen $(BUILD)/timerbench $(BUILD)/logbench $(BUILD)/subbench
	@sh tests/bench/run.sh $(BUILD)

demo: all
	@sh examples/demo.sh $(BUILD)

spectest: $(BUILD)/spectest
	$(BUILD)/spectest $(if $(SPECTEST_DIR),,--suite 2.0) $(or $(SPECTEST_DIR),$(SHARED)/spectest/json-2.0)

check-book: $(BUILD)/bookcheck
	$(BUILD)/bookcheck .

# `make exercise 3`: the number after `exercise` is its argument, not a goal.
ifeq (exercise,$(firstword $(MAKECMDGOALS)))
EXERCISE := $(wordlist 2,$(words $(MAKECMDGOALS)),$(MAKECMDGOALS))
$(eval $(EXERCISE):;@:)
endif
exercise: $(BUILD)/libtinystdb.a | cmocka
	@sh tools/exercise.sh $(BUILD) $(EXERCISE)

exercises:
	@sh tools/exercise.sh $(BUILD)

wasm:
	@sh tools/build-wasm.sh
	@sh tools/build-modules.sh

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
