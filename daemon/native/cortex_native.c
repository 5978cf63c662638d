/*
 * The little that Node cannot do by itself, for the daemon's local identity:
 * read SO_PEERCRED of an accepted Unix socket (who is on the other end, as the
 * kernel says), and look users and groups up in the system's database
 * (getpwuid_r / getgrnam_r, so NSS sources such as LDAP work too).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <node_api.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#define CHECK(call)                                                     \
  do {                                                                  \
    if ((call) != napi_ok) {                                            \
      napi_throw_error(env, NULL, "cortex_native: N-API call failed");  \
      return NULL;                                                      \
    }                                                                   \
  } while (0)

static int read_int_arg(napi_env env, napi_callback_info info, int64_t *out) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return 0;
  return napi_get_value_int64(env, argv[0], out) == napi_ok;
}

static napi_value set_int(napi_env env, napi_value object, const char *name, int64_t value) {
  napi_value number;
  if (napi_create_int64(env, value, &number) != napi_ok) return NULL;
  if (napi_set_named_property(env, object, name, number) != napi_ok) return NULL;
  return object;
}

/* peerCred(fd) -> {pid, uid, gid}; throws with errno's text when the kernel refuses. */
static napi_value peer_cred(napi_env env, napi_callback_info info) {
  int64_t fd;
  if (!read_int_arg(env, info, &fd)) {
    napi_throw_type_error(env, NULL, "peerCred expects a file descriptor");
    return NULL;
  }
  struct ucred cred;
  socklen_t length = sizeof cred;
  if (getsockopt((int)fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0) {
    napi_throw_error(env, "EPEERCRED", strerror(errno));
    return NULL;
  }
  napi_value result;
  CHECK(napi_create_object(env, &result));
  if (!set_int(env, result, "pid", cred.pid) || !set_int(env, result, "uid", cred.uid) ||
      !set_int(env, result, "gid", cred.gid)) {
    napi_throw_error(env, NULL, "cortex_native: could not build the result");
    return NULL;
  }
  return result;
}

/* userName(uid) -> the login name, or null when the user database has none. */
static napi_value user_name(napi_env env, napi_callback_info info) {
  int64_t uid;
  if (!read_int_arg(env, info, &uid)) {
    napi_throw_type_error(env, NULL, "userName expects a uid");
    return NULL;
  }
  struct passwd entry, *found = NULL;
  char buffer[16384];
  napi_value result;
  if (getpwuid_r((uid_t)uid, &entry, buffer, sizeof buffer, &found) != 0 || found == NULL) {
    CHECK(napi_get_null(env, &result));
    return result;
  }
  CHECK(napi_create_string_utf8(env, found->pw_name, NAPI_AUTO_LENGTH, &result));
  return result;
}

/* groupId(name) -> the gid, or null when there is no such group. */
static napi_value group_id(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  char name[256];
  size_t length;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_string_utf8(env, argv[0], name, sizeof name, &length) != napi_ok) {
    napi_throw_type_error(env, NULL, "groupId expects a group name");
    return NULL;
  }
  struct group entry, *found = NULL;
  char buffer[16384];
  napi_value result;
  if (getgrnam_r(name, &entry, buffer, sizeof buffer, &found) != 0 || found == NULL) {
    CHECK(napi_get_null(env, &result));
    return result;
  }
  CHECK(napi_create_int64(env, found->gr_gid, &result));
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"peerCred", NULL, peer_cred, NULL, NULL, NULL, napi_default, NULL},
      {"userName", NULL, user_name, NULL, NULL, NULL, napi_default, NULL},
      {"groupId", NULL, group_id, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties) != napi_ok) {
    return NULL;
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
