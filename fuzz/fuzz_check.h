// FUZZ_CHECK(cond): an invariant a fuzzer checks; a violation traps, so libFuzzer (and the
// corpus replay test) reports the input as a crash.
#pragma once

#define FUZZ_CHECK(cond)           \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)
