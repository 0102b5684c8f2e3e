/* Reading a servicesmgr role file from a managed process. C-compatible; no dependencies.
 *
 * The manager writes $SM_ROLE_FILE atomically as one JSON line:
 *   {"role":"master|secondary|unknown","epoch":N,"leaseUntilMonoNs":T,"masterPeer":{...}}
 * masterPeer names the current master: its uuid, host id, pid, ports, the address of its host and
 * its "endpoints" (port name -> "address:port"), which a replica connects to.
 * Mastership is a lease: a master may act as master only while CLOCK_MONOTONIC (same host, same
 * clock as the manager) is before leaseUntilMonoNs. Use sm_role_effective() or
 * sm_role_is_master_now(), never the raw `role` field, to decide whether to act as master. */
#ifndef SM_ROLE_H
#define SM_ROLE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sm_role_t { SM_ROLE_UNKNOWN = 0, SM_ROLE_SECONDARY = 1, SM_ROLE_MASTER = 2 } sm_role_t;

#define SM_ROLE_MASTER_PEER_MAX 1024
#define SM_ROLE_ADDRESS_MAX 256

typedef struct sm_role_info {
  sm_role_t role;               /* as written; an unrecognised name reads as SM_ROLE_UNKNOWN */
  int64_t epoch;                /* fencing token: strictly increases per logical service */
  uint64_t lease_until_mono_ns; /* CLOCK_MONOTONIC deadline of a master's lease */
  char master_peer_json[SM_ROLE_MASTER_PEER_MAX]; /* masterPeer as JSON text; "{}" if absent */
  char master_address[SM_ROLE_ADDRESS_MAX];       /* the master's host address; "" if not known */
} sm_role_info;

#define SM_ROLE_OK 0
#define SM_ROLE_ERR_IO (-1)    /* errno tells why */
#define SM_ROLE_ERR_PARSE (-2) /* not a role line */

/* Parses one role line. Returns SM_ROLE_OK or SM_ROLE_ERR_PARSE. */
int sm_role_parse(const char* text, size_t length, sm_role_info* out);
/* Reads and parses a role file; `path` NULL means $SM_ROLE_FILE. */
int sm_role_read(const char* path, sm_role_info* out);

/* Copies the master's endpoint ("address:port") for the named port into `out`. Returns 0, or -1
 * when the file names no such endpoint or it does not fit in `capacity` bytes. */
int sm_role_master_endpoint(const sm_role_info* info, const char* port_name, char* out,
                            size_t capacity);

uint64_t sm_monotonic_now_ns(void);
/* The role to act on at `now_mono_ns`: a master whose lease has passed is SM_ROLE_UNKNOWN. */
sm_role_t sm_role_effective(const sm_role_info* info, uint64_t now_mono_ns);
/* 1 when `info` says master and its lease holds now, else 0. */
int sm_role_is_master_now(const sm_role_info* info);
/* "master", "secondary" or "unknown". */
const char* sm_role_name(sm_role_t role);

#ifdef __cplusplus
}
#endif

#endif /* SM_ROLE_H */
