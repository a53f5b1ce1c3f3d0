// The one translation unit that compiles Asio (ASIO_SEPARATE_COMPILATION), so that every other
// file that includes Asio headers compiles only declarations.
#include <asio/impl/src.hpp>
#include <asio/ssl/impl/src.hpp>
