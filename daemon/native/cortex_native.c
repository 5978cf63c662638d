/*
 * The little that Node cannot do by itself, for the daemon's local identity:
 * accept connections on the Unix socket and read each one's SO_PEERCRED (who
 * is on the other end, as the kernel says) before Node sees it, and look users
 * and groups up in the system's database (getpwuid_r / getgrnam_r, so NSS
 * sources such as LDAP work too).
 *
 * Node hands no public file descriptor of a socket it accepted, so the
 * listener is this addon's: it polls the listening socket on Node's own event
 * loop (libuv), accepts, reads the peer's credentials from the descriptor it
 * just got, and calls JavaScript with both; JavaScript wraps the descriptor in
 * a net.Socket. No caller reaches the daemon without its credentials read, or
 * the reason they could not be.
 *
 * It also counts the event loop's turns, for the store: two reads in one turn
 * share a read transaction, and knowing the turn by a number costs a read of
 * memory where marking its end with setImmediate cost a callback per read.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <node_api.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

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

/* A listening Unix socket whose connections are accepted here. */
typedef struct {
  uv_poll_t poll;
  /* Restarts polling a moment after accept ran out of descriptors (EMFILE), instead of spinning. */
  uv_timer_t retry;
  int fd;
  int open_handles;
  napi_env env;
  napi_ref callback;
  napi_async_context context;
} listener_t;

static void free_when_closed(uv_handle_t *handle) {
  listener_t *listener = handle->data;
  if (--listener->open_handles == 0) {
    close(listener->fd);
    free(listener);
  }
}

/* Calls callback(fd, {pid, uid, gid} | null, error | null) inside Node's callback scope. */
static void deliver(listener_t *listener, int fd, const struct ucred *cred, const char *error) {
  napi_env env = listener->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value callback, receiver, argv[3], result;
  int ok = napi_get_reference_value(env, listener->callback, &callback) == napi_ok &&
           napi_get_global(env, &receiver) == napi_ok && napi_create_int32(env, fd, &argv[0]) == napi_ok;
  if (ok && cred != NULL) {
    ok = napi_create_object(env, &argv[1]) == napi_ok && set_int(env, argv[1], "pid", cred->pid) != NULL &&
         set_int(env, argv[1], "uid", cred->uid) != NULL && set_int(env, argv[1], "gid", cred->gid) != NULL;
  } else if (ok) {
    ok = napi_get_null(env, &argv[1]) == napi_ok;
  }
  if (ok && error != NULL) {
    ok = napi_create_string_utf8(env, error, NAPI_AUTO_LENGTH, &argv[2]) == napi_ok;
  } else if (ok) {
    ok = napi_get_null(env, &argv[2]) == napi_ok;
  }
  napi_status status = ok ? napi_make_callback(env, listener->context, receiver, callback, 3, argv, &result)
                          : napi_generic_failure;
  if (status == napi_pending_exception) {
    napi_value exception;
    if (napi_get_and_clear_last_exception(env, &exception) == napi_ok) napi_fatal_exception(env, exception);
  } else if (status != napi_ok && fd >= 0) {
    /* JavaScript never got the descriptor: nobody else will close it. */
    close(fd);
  }
  napi_close_handle_scope(env, scope);
}

static void on_retry(uv_timer_t *timer);

static void on_readable(uv_poll_t *poll, int status, int events) {
  listener_t *listener = poll->data;
  (void)events;
  if (status < 0) return;
  for (;;) {
    int fd = accept4(listener->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      char reason[160];
      snprintf(reason, sizeof reason, "accept failed: %s", strerror(errno));
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        uv_poll_stop(&listener->poll);
        uv_timer_start(&listener->retry, on_retry, 100, 0);
      }
      deliver(listener, -1, NULL, reason);
      return;
    }
    struct ucred cred;
    socklen_t length = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0) {
      char reason[160];
      snprintf(reason, sizeof reason, "SO_PEERCRED failed: %s", strerror(errno));
      deliver(listener, fd, NULL, reason);
    } else {
      deliver(listener, fd, &cred, NULL);
    }
    /* JavaScript may have closed the listener from the callback. */
    if (uv_is_closing((uv_handle_t *)&listener->poll)) return;
  }
}

static void on_retry(uv_timer_t *timer) {
  listener_t *listener = timer->data;
  uv_poll_start(&listener->poll, UV_READABLE, on_readable);
}

/* listen(path, callback) -> a handle for close(); the socket file gets the mode the umask leaves. */
static napi_value listen_unix(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  struct sockaddr_un address;
  size_t length;
  napi_valuetype type;
  memset(&address, 0, sizeof address);
  address.sun_family = AF_UNIX;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_string_utf8(env, argv[0], address.sun_path, sizeof address.sun_path, &length) != napi_ok ||
      napi_typeof(env, argv[1], &type) != napi_ok || type != napi_function) {
    napi_throw_type_error(env, NULL, "listen expects a socket path and a callback");
    return NULL;
  }
  if (length == 0 || length >= sizeof address.sun_path - 1) {
    napi_throw_error(env, "ENAMETOOLONG", "the socket path is empty or too long for a Unix socket");
    return NULL;
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&address, sizeof address) != 0 || listen(fd, 511) != 0) {
    int error = errno;
    if (fd >= 0) close(fd);
    napi_throw_error(env, "ELISTEN", strerror(error));
    return NULL;
  }
  uv_loop_t *loop;
  listener_t *listener = calloc(1, sizeof *listener);
  napi_value resource, name, handle;
  if (listener == NULL || napi_get_uv_event_loop(env, &loop) != napi_ok ||
      napi_create_reference(env, argv[1], 1, &listener->callback) != napi_ok ||
      napi_create_object(env, &resource) != napi_ok ||
      napi_create_string_utf8(env, "cortex:unix-listener", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_async_init(env, resource, name, &listener->context) != napi_ok) {
    close(fd);
    free(listener);
    napi_throw_error(env, NULL, "cortex_native: could not set the listener up");
    return NULL;
  }
  listener->fd = fd;
  listener->env = env;
  uv_poll_init(loop, &listener->poll, fd);
  uv_timer_init(loop, &listener->retry);
  listener->poll.data = listener;
  listener->retry.data = listener;
  listener->open_handles = 2;
  uv_poll_start(&listener->poll, UV_READABLE, on_readable);
  CHECK(napi_create_external(env, listener, NULL, NULL, &handle));
  return handle;
}

/* close(handle): stops accepting and closes the listening socket (the socket file is the caller's to remove). */
static napi_value close_listener(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  listener_t *listener;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_external(env, argv[0], (void **)&listener) != napi_ok || listener == NULL) {
    napi_throw_type_error(env, NULL, "close expects a listener");
    return NULL;
  }
  if (!uv_is_closing((uv_handle_t *)&listener->poll)) {
    napi_delete_reference(env, listener->callback);
    napi_async_destroy(env, listener->context);
    uv_poll_stop(&listener->poll);
    uv_timer_stop(&listener->retry);
    uv_close((uv_handle_t *)&listener->poll, free_when_closed);
    uv_close((uv_handle_t *)&listener->retry, free_when_closed);
  }
  napi_value result;
  CHECK(napi_get_undefined(env, &result));
  return result;
}

/*
 * writeSome(fd, bytes) -> how many bytes the socket took at once (0 when it takes
 * none now), or -errno. One send(2), for a connection whose stream has nothing
 * queued: the caller hands the rest, or all on an error, to the stream, which
 * then waits or reports as it always does. MSG_NOSIGNAL: a closed peer is an
 * error, never SIGPIPE.
 */
static napi_value write_some(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  int32_t fd;
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_typedarray_info(env, argv[1], &type, &length, &data, NULL, NULL) != napi_ok || type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "writeSome expects a descriptor and a Uint8Array");
    return NULL;
  }
  ssize_t written;
  do {
    written = send(fd, data, length, MSG_NOSIGNAL | MSG_DONTWAIT);
  } while (written < 0 && errno == EINTR);
  if (written < 0) written = errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
  CHECK(napi_create_int64(env, written, &result));
  return result;
}

/* The event loop's turn counter: a check handle (run once a turn, after the poll for I/O) adds one. */
typedef struct {
  uv_check_t check;
  uint32_t *count;
  napi_env env;
  /* Holds the ArrayBuffer that `count` points into while the handle writes to it. */
  napi_ref buffer;
} turns_t;

static void on_turn(uv_check_t *check) {
  turns_t *turns = check->data;
  (*turns->count)++;
}

static void free_turns(uv_handle_t *handle) { free(handle->data); }

/* When the environment (the process, or a worker thread) ends: no more turns to count. */
static void stop_turns(void *data) {
  turns_t *turns = data;
  uv_check_stop(&turns->check);
  napi_delete_reference(turns->env, turns->buffer);
  uv_close((uv_handle_t *)&turns->check, free_turns);
}

/*
 * turnCounter() -> a Uint32Array of one element, one more at the end of every
 * turn of this thread's event loop (wrapping at 2^32). The handle is unref'd: it
 * keeps nothing alive, and a check handle never makes the loop poll without
 * waiting, so an idle daemon stays idle.
 */
static napi_value turn_counter(napi_env env, napi_callback_info info) {
  (void)info;
  uv_loop_t *loop;
  void *data;
  napi_value buffer, array;
  turns_t *turns = calloc(1, sizeof *turns);
  if (turns == NULL || napi_get_uv_event_loop(env, &loop) != napi_ok ||
      napi_create_arraybuffer(env, sizeof(uint32_t), &data, &buffer) != napi_ok ||
      napi_create_typedarray(env, napi_uint32_array, 1, buffer, 0, &array) != napi_ok ||
      napi_create_reference(env, buffer, 1, &turns->buffer) != napi_ok) {
    free(turns);
    napi_throw_error(env, NULL, "cortex_native: could not set the turn counter up");
    return NULL;
  }
  turns->count = data;
  *turns->count = 0;
  turns->env = env;
  uv_check_init(loop, &turns->check);
  turns->check.data = turns;
  uv_check_start(&turns->check, on_turn);
  uv_unref((uv_handle_t *)&turns->check);
  if (napi_add_env_cleanup_hook(env, stop_turns, turns) != napi_ok) {
    stop_turns(turns);
    napi_throw_error(env, NULL, "cortex_native: could not set the turn counter up");
    return NULL;
  }
  return array;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"listen", NULL, listen_unix, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, close_listener, NULL, NULL, NULL, napi_default, NULL},
      {"userName", NULL, user_name, NULL, NULL, NULL, napi_default, NULL},
      {"groupId", NULL, group_id, NULL, NULL, NULL, napi_default, NULL},
      {"turnCounter", NULL, turn_counter, NULL, NULL, NULL, napi_default, NULL},
      {"writeSome", NULL, write_some, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties) != napi_ok) {
    return NULL;
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
