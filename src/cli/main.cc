// causeway: one binary, one subcommand per role (ARCHITECTURE.md, "Roles of the one binary").
#include <cstdio>

int main(int argc, char** argv) {
  std::fprintf(stderr, "usage: causeway gateway|demo-app ...\n");
  return 2;
}
