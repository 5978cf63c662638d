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
 * It also reads those connections (see "Reads" below).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <node_api.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
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

/*
 * Reads. Node enters JavaScript once per read of every socket (a MakeCallback,
 * with its async hooks and microtask checkpoint, then the stream's onread): a
 * fixed cost that a small request pays whole. Here each connection the addon
 * accepted is polled on a duplicate of its descriptor (libuv keeps one watcher
 * per descriptor, and Node's stream keeps the original for writing), read once
 * a turn into a buffer JavaScript owns, and every connection read in the poll
 * phase is handed to JavaScript by one call from a check handle: pairs of
 * (slot, bytes read | 0 at end of stream | -errno) in a shared Int32Array.
 */
typedef struct connection_s connection_t;

typedef struct {
  uv_check_t check;
  /* Waits a moment for the next request before the loop sleeps (see on_reader_prepare). */
  uv_prepare_t prepare;
  uint64_t wait_ns;
  int delivered;
  int open_handles;
  napi_env env;
  napi_ref callback;
  napi_ref events_buffer;
  napi_async_context context;
  int32_t *events;
  size_t capacity;
  connection_t *ready_head;
  connection_t *ready_tail;
} reader_t;

struct connection_s {
  uv_poll_t poll;
  reader_t *reader;
  int fd;
  int32_t slot;
  napi_ref buffer;
  uint8_t *data;
  size_t size;
  int32_t result;
  int ready;
  int polling;
  int paused;
  int stopped;
  /* Freed when both the poll handle has closed and JavaScript's handle is collected. */
  int owners;
  connection_t *next;
};

static void release_connection(connection_t *connection) {
  if (--connection->owners == 0) free(connection);
}

static void on_connection_closed(uv_handle_t *handle) { release_connection(handle->data); }

static void finalize_connection(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  release_connection(data);
}

static void unlink_ready(connection_t *connection) {
  reader_t *reader = connection->reader;
  connection_t **link = &reader->ready_head, *previous = NULL;
  while (*link != NULL && *link != connection) {
    previous = *link;
    link = &(*link)->next;
  }
  if (*link == NULL) return;
  *link = connection->next;
  if (reader->ready_tail == connection) reader->ready_tail = previous;
  connection->next = NULL;
  connection->ready = 0;
}

static void stop_polling(connection_t *connection) {
  if (connection->polling) uv_poll_stop(&connection->poll);
  connection->polling = 0;
}

static void on_connection_readable(uv_poll_t *poll, int status, int events);

static void start_polling(connection_t *connection) {
  if (connection->polling || connection->paused || connection->stopped || connection->result <= 0) return;
  connection->polling = uv_poll_start(&connection->poll, UV_READABLE, on_connection_readable) == 0;
}

/* One read a turn: what is left stays in the socket, and the level-triggered poll comes back for it next turn. */
static void on_connection_readable(uv_poll_t *poll, int status, int events) {
  connection_t *connection = poll->data;
  reader_t *reader = connection->reader;
  (void)events;
  /* libuv stops the handle itself after an error (POLLERR); read anyway, for the socket's own errno. */
  if (status < 0) connection->polling = 0;
  if (connection->ready) return;
  ssize_t got;
  do {
    got = read(connection->fd, connection->data, connection->size);
  } while (got < 0 && errno == EINTR);
  if (got < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK) got = -errno;
    else if (status < 0) got = status;
    else return;
  }
  connection->result = (int32_t)got;
  /* Nothing more comes after the end or an error. */
  if (got <= 0) stop_polling(connection);
  connection->ready = 1;
  connection->next = NULL;
  if (reader->ready_tail == NULL) reader->ready_head = connection;
  else reader->ready_tail->next = connection;
  reader->ready_tail = connection;
}

static void call_reader(reader_t *reader, size_t count) {
  napi_env env = reader->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value callback, receiver, argv[1], result;
  int ok = napi_get_reference_value(env, reader->callback, &callback) == napi_ok &&
           napi_get_global(env, &receiver) == napi_ok && napi_create_uint32(env, (uint32_t)count, &argv[0]) == napi_ok;
  napi_status status =
      ok ? napi_make_callback(env, reader->context, receiver, callback, 1, argv, &result) : napi_generic_failure;
  if (status == napi_pending_exception) {
    napi_value exception;
    if (napi_get_and_clear_last_exception(env, &exception) == napi_ok) napi_fatal_exception(env, exception);
  }
  napi_close_handle_scope(env, scope);
}

/* After the poll phase: everything read this turn, to JavaScript at once (in pieces of `capacity` pairs). */
static void on_reader_check(uv_check_t *check) {
  reader_t *reader = check->data;
  while (reader->ready_head != NULL) {
    size_t count = 0;
    while (reader->ready_head != NULL && count < reader->capacity) {
      connection_t *connection = reader->ready_head;
      reader->ready_head = connection->next;
      connection->next = NULL;
      connection->ready = 0;
      reader->events[2 * count] = connection->slot;
      reader->events[2 * count + 1] = connection->result;
      count++;
      /* libuv stopped it after an error that turned out to leave data to read. */
      start_polling(connection);
    }
    if (reader->ready_head == NULL) reader->ready_tail = NULL;
    reader->delivered = 1;
    /* JavaScript may stop connections still in the list: readStop unlinks them. */
    call_reader(reader, count);
  }
}

/*
 * Just before the loop would sleep in epoll_wait, after a turn that handed reads on: watch the loop's
 * epoll descriptor for up to `wait_ns` (less if a timer is due sooner), yielding the CPU between looks,
 * and return as soon as anything is ready. A caller that awaits each answer sends its next request a
 * few tens of microseconds after the answer left; caught here, neither side pays the wake-up of a
 * sleeping CPU, which on a virtual machine costs more than the request itself (bench/README.md,
 * "The sequential round trip, seen from the wake-ups"). A turn that read nothing waits for nothing, so
 * an idle daemon sleeps as before, and sched_yield lets anything else that is runnable on this CPU go
 * first.
 */
static void on_reader_prepare(uv_prepare_t *prepare) {
  reader_t *reader = prepare->data;
  if (!reader->delivered) return;
  reader->delivered = 0;
  int timeout = uv_backend_timeout(prepare->loop);
  if (timeout == 0) return;
  uint64_t limit = reader->wait_ns;
  if (timeout > 0 && (uint64_t)timeout * 1000000 < limit) limit = (uint64_t)timeout * 1000000;
  struct pollfd backend = {.fd = uv_backend_fd(prepare->loop), .events = POLLIN, .revents = 0};
  uint64_t start = uv_hrtime();
  do {
    if (poll(&backend, 1, 0) != 0) return;
    sched_yield();
  } while (uv_hrtime() - start < limit);
}

static void free_reader(uv_handle_t *handle) {
  reader_t *reader = handle->data;
  if (--reader->open_handles == 0) free(reader);
}

static void stop_reader(void *data) {
  reader_t *reader = data;
  uv_check_stop(&reader->check);
  uv_prepare_stop(&reader->prepare);
  napi_delete_reference(reader->env, reader->callback);
  napi_delete_reference(reader->env, reader->events_buffer);
  napi_async_destroy(reader->env, reader->context);
  uv_close((uv_handle_t *)&reader->check, free_reader);
  uv_close((uv_handle_t *)&reader->prepare, free_reader);
}

/*
 * reader(events, callback, waitMicros) -> a reader for readStart. callback(count) gets
 * the first `count` pairs of `events` (an Int32Array of an even length). After a turn
 * that handed reads on, the loop waits up to `waitMicros` (0: not at all) for more
 * before it sleeps (on_reader_prepare). Lives as long as the environment; its check
 * and prepare handles are unref'd, and keep nothing alive.
 */
static napi_value create_reader(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], buffer, resource, name, handle;
  napi_typedarray_type type;
  napi_valuetype callback_type;
  size_t length;
  void *data;
  int64_t wait_micros = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_typedarray_info(env, argv[0], &type, &length, &data, &buffer, NULL) != napi_ok ||
      type != napi_int32_array || length < 2 || napi_typeof(env, argv[1], &callback_type) != napi_ok ||
      callback_type != napi_function ||
      (argc >= 3 && (napi_get_value_int64(env, argv[2], &wait_micros) != napi_ok || wait_micros < 0 ||
                     wait_micros > 1000000))) {
    napi_throw_type_error(env, NULL, "reader expects an Int32Array of pairs, a callback and 0-1000000 microseconds");
    return NULL;
  }
  uv_loop_t *loop;
  reader_t *reader = calloc(1, sizeof *reader);
  if (reader == NULL || napi_get_uv_event_loop(env, &loop) != napi_ok ||
      napi_create_reference(env, argv[1], 1, &reader->callback) != napi_ok ||
      napi_create_reference(env, buffer, 1, &reader->events_buffer) != napi_ok ||
      napi_create_object(env, &resource) != napi_ok ||
      napi_create_string_utf8(env, "cortex:reads", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_async_init(env, resource, name, &reader->context) != napi_ok) {
    free(reader);
    napi_throw_error(env, NULL, "cortex_native: could not set the reader up");
    return NULL;
  }
  reader->env = env;
  reader->events = data;
  reader->capacity = length / 2;
  reader->wait_ns = (uint64_t)wait_micros * 1000;
  reader->open_handles = 2;
  uv_check_init(loop, &reader->check);
  reader->check.data = reader;
  uv_check_start(&reader->check, on_reader_check);
  uv_unref((uv_handle_t *)&reader->check);
  uv_prepare_init(loop, &reader->prepare);
  reader->prepare.data = reader;
  if (reader->wait_ns > 0) uv_prepare_start(&reader->prepare, on_reader_prepare);
  uv_unref((uv_handle_t *)&reader->prepare);
  if (napi_add_env_cleanup_hook(env, stop_reader, reader) != napi_ok) {
    stop_reader(reader);
    napi_throw_error(env, NULL, "cortex_native: could not set the reader up");
    return NULL;
  }
  CHECK(napi_create_external(env, reader, NULL, NULL, &handle));
  return handle;
}

/* Points the connection's next reads at `value`, a Uint8Array (held until the next call or readStop). */
static int read_into(napi_env env, connection_t *connection, napi_value value) {
  napi_typedarray_type type;
  size_t length;
  void *data;
  napi_value buffer;
  napi_ref reference;
  if (napi_get_typedarray_info(env, value, &type, &length, &data, &buffer, NULL) != napi_ok ||
      type != napi_uint8_array || length == 0 || napi_create_reference(env, value, 1, &reference) != napi_ok) {
    return 0;
  }
  if (connection->buffer != NULL) napi_delete_reference(env, connection->buffer);
  connection->buffer = reference;
  connection->data = data;
  connection->size = length > INT32_MAX ? INT32_MAX : length;
  return 1;
}

static connection_t *connection_arg(napi_env env, napi_callback_info info, size_t wanted, napi_value *argv) {
  size_t argc = wanted;
  connection_t *connection;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < wanted ||
      napi_get_value_external(env, argv[0], (void **)&connection) != napi_ok || connection == NULL) {
    return NULL;
  }
  return connection;
}

/* readStart(reader, fd, slot, buffer) -> a handle: reads of socket `fd` reach the reader's callback as `slot`. */
static napi_value read_start(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], handle;
  reader_t *reader;
  int32_t fd, slot;
  uv_loop_t *loop;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4 ||
      napi_get_value_external(env, argv[0], (void **)&reader) != napi_ok || reader == NULL ||
      napi_get_value_int32(env, argv[1], &fd) != napi_ok || napi_get_value_int32(env, argv[2], &slot) != napi_ok ||
      napi_get_uv_event_loop(env, &loop) != napi_ok) {
    napi_throw_type_error(env, NULL, "readStart expects a reader, a descriptor, a slot and a Uint8Array");
    return NULL;
  }
  connection_t *connection = calloc(1, sizeof *connection);
  if (connection == NULL) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  if (!read_into(env, connection, argv[3])) {
    free(connection);
    napi_throw_type_error(env, NULL, "readStart expects a non-empty Uint8Array");
    return NULL;
  }
  connection->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (connection->fd < 0 || uv_poll_init(loop, &connection->poll, connection->fd) != 0) {
    int error = errno;
    if (connection->fd >= 0) close(connection->fd);
    napi_delete_reference(env, connection->buffer);
    free(connection);
    napi_throw_error(env, "EREAD", strerror(error));
    return NULL;
  }
  connection->reader = reader;
  connection->slot = slot;
  connection->result = 1;
  connection->owners = 2;
  connection->poll.data = connection;
  if (napi_create_external(env, connection, finalize_connection, NULL, &handle) != napi_ok) {
    connection->owners = 1;
    uv_close((uv_handle_t *)&connection->poll, on_connection_closed);
    close(connection->fd);
    napi_delete_reference(env, connection->buffer);
    napi_throw_error(env, NULL, "cortex_native: could not set the reads up");
    return NULL;
  }
  start_polling(connection);
  return handle;
}

static napi_value undefined_value(napi_env env) {
  napi_value result;
  CHECK(napi_get_undefined(env, &result));
  return result;
}

/* readInto(handle, buffer): the next reads go into `buffer` (the receiver kept part of the last one). */
static napi_value read_into_call(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  connection_t *connection = connection_arg(env, info, 2, argv);
  if (connection == NULL || (!connection->stopped && !read_into(env, connection, argv[1]))) {
    napi_throw_type_error(env, NULL, "readInto expects a reads handle and a non-empty Uint8Array");
    return NULL;
  }
  return undefined_value(env);
}

/* readPause(handle, paused): while paused the socket is not read (what it sends waits in the kernel). */
static napi_value read_pause(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  bool paused;
  connection_t *connection = connection_arg(env, info, 2, argv);
  if (connection == NULL || napi_get_value_bool(env, argv[1], &paused) != napi_ok) {
    napi_throw_type_error(env, NULL, "readPause expects a reads handle and a boolean");
    return NULL;
  }
  connection->paused = paused;
  if (paused) stop_polling(connection);
  else start_polling(connection);
  return undefined_value(env);
}

/* readStop(handle): no more reads; the duplicate descriptor is closed (the socket itself is its stream's). */
static napi_value read_stop(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  connection_t *connection = connection_arg(env, info, 1, argv);
  if (connection == NULL) {
    napi_throw_type_error(env, NULL, "readStop expects a reads handle");
    return NULL;
  }
  if (!connection->stopped) {
    connection->stopped = 1;
    if (connection->ready) unlink_ready(connection);
    stop_polling(connection);
    /* uv_close leaves the descriptor alone, and forgets it before close(2) lets the number be reused. */
    uv_close((uv_handle_t *)&connection->poll, on_connection_closed);
    close(connection->fd);
    napi_delete_reference(env, connection->buffer);
    connection->buffer = NULL;
  }
  return undefined_value(env);
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"listen", NULL, listen_unix, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, close_listener, NULL, NULL, NULL, napi_default, NULL},
      {"userName", NULL, user_name, NULL, NULL, NULL, napi_default, NULL},
      {"groupId", NULL, group_id, NULL, NULL, NULL, napi_default, NULL},
      {"writeSome", NULL, write_some, NULL, NULL, NULL, napi_default, NULL},
      {"reader", NULL, create_reader, NULL, NULL, NULL, napi_default, NULL},
      {"readStart", NULL, read_start, NULL, NULL, NULL, napi_default, NULL},
      {"readInto", NULL, read_into_call, NULL, NULL, NULL, napi_default, NULL},
      {"readPause", NULL, read_pause, NULL, NULL, NULL, napi_default, NULL},
      {"readStop", NULL, read_stop, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties) != napi_ok) {
    return NULL;
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
