#include "wg/action.h"

namespace causeway::wg {

std::string_view dropReasonName(DropReason r) {
  switch (r) {
    case DropReason::kNone:
      return "none";
    case DropReason::kMalformed:
      return "malformed";
    case DropReason::kBadMac1:
      return "bad_mac1";
    case DropReason::kCookieSent:
      return "cookie_sent";
    case DropReason::kDecryptFailed:
      return "decrypt_failed";
    case DropReason::kUnknownPeer:
      return "unknown_peer";
    case DropReason::kReplayedInitiation:
      return "replayed_initiation";
    case DropReason::kInitiationFlood:
      return "initiation_flood";
    case DropReason::kUnknownIndex:
      return "unknown_index";
    case DropReason::kUnexpectedResponse:
      return "unexpected_response";
    case DropReason::kBadCookieReply:
      return "bad_cookie_reply";
    case DropReason::kReplayedData:
      return "replayed_data";
    case DropReason::kExpiredSession:
      return "expired_session";
    case DropReason::kBadInnerPacket:
      return "bad_inner_packet";
    case DropReason::kStagedOverflow:
      return "staged_overflow";
    case DropReason::kNoEndpoint:
      return "no_endpoint";
    case DropReason::kCount:
      break;
  }
  return "unknown";
}

}  // namespace causeway::wg
