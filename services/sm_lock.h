/* Cluster-wide locks for a process run by servicesmgr. C-compatible; no dependencies.
 *
 * The process asks its own daemon over the Unix socket $SM_DAEMON_SOCKET; the daemon queues for
 * the lock in ZooKeeper on its behalf (locks/resources/<name>) and releases it the moment the
 * process exits or closes the connection. A held lock carries a fencing token (strictly
 * increasing per name: pass it to whatever the lock protects) and a lease: act as the holder only
 * while sm_lock_held() says so. Names: [A-Za-z0-9._-], 1..128 bytes. See docs/locks.md. */
#ifndef SM_LOCK_H
#define SM_LOCK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sm_lock_client sm_lock_client;

/* Connects to the daemon (socket_path NULL: $SM_DAEMON_SOCKET). NULL on failure, with the reason
 * in err (err_len bytes, may be 0). */
sm_lock_client* sm_lock_connect(const char* socket_path, char* err, size_t err_len);
/* Closes the connection: every lock it holds or waits for is released. */
void sm_lock_close(sm_lock_client* client);

/* Waits at most timeout_ms (negative: for ever) for the lock. 0: held, *token set (may be NULL);
 * 1: not held in time; -1: refused, with the reason in err (naming the field at fault). */
int sm_lock_acquire(sm_lock_client* client, const char* name, long timeout_ms, int64_t* token,
                    char* err, size_t err_len);
/* Takes the lock only if it is free now: as sm_lock_acquire with a timeout of 0. */
int sm_lock_try(sm_lock_client* client, const char* name, int64_t* token, char* err,
                size_t err_len);
/* 0: released; -1: not held by this connection (or another error), with the reason in err. */
int sm_lock_release(sm_lock_client* client, const char* name, char* err, size_t err_len);
/* 1 while the lock is held and its lease has not passed, else 0 (lost, released, never held). */
int sm_lock_held(sm_lock_client* client, const char* name);
/* The connection's socket, for poll(): readable means news (a renewal or a loss). */
int sm_lock_fd(const sm_lock_client* client);

#ifdef __cplusplus
}
#endif

#endif /* SM_LOCK_H */
