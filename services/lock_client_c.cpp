// The C API of sm_lock.h over LockClient.
#include <cstring>
#include <new>

#include "services/lock_client.hpp"
#include "services/sm_lock.h"

struct sm_lock_client {
  sm::services::LockClient client;
  explicit sm_lock_client(const std::string& path) : client(path) {}
};

namespace {

void setError(char* err, size_t errLen, const char* message) {
  if (!err || errLen == 0) return;
  std::strncpy(err, message, errLen - 1);
  err[errLen - 1] = '\0';
}

}  // namespace

extern "C" {

sm_lock_client* sm_lock_connect(const char* socket_path, char* err, size_t err_len) {
  try {
    return new sm_lock_client(socket_path ? socket_path : "");
  } catch (const std::exception& e) {
    setError(err, err_len, e.what());
    return nullptr;
  }
}

void sm_lock_close(sm_lock_client* client) {
  delete client;
}

int sm_lock_acquire(sm_lock_client* client, const char* name, long timeout_ms, int64_t* token,
                    char* err, size_t err_len) {
  if (!client || !name) {
    setError(err, err_len, !client ? "client: not connected" : "name: must not be NULL");
    return -1;
  }
  try {
    auto hold =
        client->client.acquire(name, std::chrono::milliseconds(timeout_ms < 0 ? -1 : timeout_ms));
    if (!hold) return 1;
    if (token) *token = hold->token;
    return 0;
  } catch (const std::exception& e) {
    setError(err, err_len, e.what());
    return -1;
  }
}

int sm_lock_try(sm_lock_client* client, const char* name, int64_t* token, char* err,
                size_t err_len) {
  return sm_lock_acquire(client, name, 0, token, err, err_len);
}

int sm_lock_release(sm_lock_client* client, const char* name, char* err, size_t err_len) {
  if (!client || !name) {
    setError(err, err_len, !client ? "client: not connected" : "name: must not be NULL");
    return -1;
  }
  try {
    client->client.release(name);
    return 0;
  } catch (const std::exception& e) {
    setError(err, err_len, e.what());
    return -1;
  }
}

int sm_lock_held(sm_lock_client* client, const char* name) {
  if (!client || !name) return 0;
  try {
    return client->client.held(name) ? 1 : 0;
  } catch (const std::exception&) {
    return 0;
  }
}

int sm_lock_fd(const sm_lock_client* client) {
  return client ? client->client.fd() : -1;
}

}  // extern "C"
