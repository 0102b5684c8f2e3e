#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// The lock protocol between a managed process and its own daemon, over the Unix socket named by
// $SM_DAEMON_SOCKET (docs/locks.md). One message per line, words separated by one space; names and
// texts are percent-encoded so that any byte (a space, a newline) travels as data. Shared by the
// client (lock_client.hpp, sm-lock) and the daemon; no dependencies beyond the standard library.
//
//   process -> daemon    acquire <timeoutMs> <name>     timeoutMs: -1 waits for ever, 0 only tries
//                        release <name>
//   daemon -> process    held <name> <token> <leaseUntilMonoNs>
//                        lease <name> <leaseUntilMonoNs>     a renewed lease of a held lock
//                        busy <name>                 not held: taken (a try) or the timeout passed
//                        released <name>
//                        lost <name> <reason>        the hold (or the wait) ended: act on it
//                        error <name> <message>      a request refused; the daemon goes on
//                        refused <message>           the connection is refused, then closed
namespace sm::services::lockwire {

enum class Kind { Acquire, Release, Held, Lease, Busy, Released, Lost, Error, Refused };

struct Message {
  Kind kind = Kind::Error;
  std::string name;
  std::int64_t timeoutMs = -1;         // acquire
  std::int64_t token = 0;              // held: the fencing token
  std::uint64_t leaseUntilMonoNs = 0;  // held, lease
  std::string text;                    // lost, error, refused
};

// The longest line either side sends or accepts (a longer one is an error).
inline constexpr std::size_t kMaxLineBytes = 64 * 1024;

std::string percentEncode(std::string_view raw);
std::optional<std::string> percentDecode(std::string_view encoded);

// One line, with its '\n'.
std::string encode(const Message& message);
// A line without its '\n'; nullopt (and why, in `error`) when it is not a valid message.
std::optional<Message> parse(std::string_view line, std::string* error = nullptr);

const char* kindName(Kind kind);

}  // namespace sm::services::lockwire
