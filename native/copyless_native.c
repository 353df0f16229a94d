// copyless_native: the N-API face of send_sequence, file_cache and net_device.
//
// Exports (argument checks beyond types live in broker/native/, the only
// loader of this addon):
//   send(socketFd, items, mode, callBytes, stallMs) -> Promise<RawSendResult>
//     items: Array<Buffer | {fd, position, length}>; mode 0 = sendfile, 1 = copy.
//     Resolves even when the send fails: the result carries the counts so far
//     and `failure` ({kind: 'errno' | 'stall' | 'eof', errno, syscall, item})
//     or null, and the wrapper turns a failure into a typed error.
//   dropFileCache(fd) -> errno (0 when done)
//   fileResidency(fd) -> {errno, pages, residentPages}
//   netdevScatterGather(ifname) -> {errno, enabled}: the device's NETIF_F_SG bit
//   sigpipeIgnored: boolean, whether SIGPIPE was SIG_IGN when the addon loaded
//
// The send runs as napi async work: parsing and the Buffer references happen
// on the JS thread, `execute` (a threadpool thread) makes only system calls,
// `complete` (JS thread again) drops the references and settles the promise.
// Buffers stay referenced until then, so their memory cannot move or be
// collected while the kernel reads it. File descriptors are not duplicated:
// the caller keeps them open until the promise settles.

#define NAPI_VERSION 8
#include <node_api.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>

#include "file_cache.h"
#include "net_device.h"
#include "send_sequence.h"

#define SEND_ARGC 5

struct send_job {
  napi_async_work work;
  napi_deferred deferred;
  int socket_fd;
  struct send_options options;
  struct send_item *items;
  size_t item_count;
  /* One strong reference per Buffer item, held until complete. */
  napi_ref *buffer_refs;
  size_t buffer_ref_count;
  struct send_stats stats;
  struct send_failure failure;
};

static void free_job(napi_env env, struct send_job *job) {
  for (size_t i = 0; i < job->buffer_ref_count; i++) napi_delete_reference(env, job->buffer_refs[i]);
  if (job->work != NULL) napi_delete_async_work(env, job->work);
  free(job->buffer_refs);
  free(job->items);
  free(job);
}

static napi_value throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
  return NULL;
}

static int get_int64(napi_env env, napi_value value, int64_t *out) {
  return napi_get_value_int64(env, value, out) == napi_ok;
}

static int get_int64_property(napi_env env, napi_value object, const char *name, int64_t *out) {
  napi_value value;
  return napi_get_named_property(env, object, name, &value) == napi_ok && get_int64(env, value, out);
}

static int read_buffer_item(napi_env env, napi_value value, struct send_item *item, struct send_job *job) {
  void *data;
  size_t length;
  if (napi_get_buffer_info(env, value, &data, &length) != napi_ok) return 0;
  if (napi_create_reference(env, value, 1, &job->buffer_refs[job->buffer_ref_count]) != napi_ok) return 0;
  job->buffer_ref_count++;
  item->data = data;
  item->data_len = length;
  item->file_fd = -1;
  return 1;
}

static int read_range_item(napi_env env, napi_value value, struct send_item *item) {
  int64_t fd, position, length;
  if (!get_int64_property(env, value, "fd", &fd) || !get_int64_property(env, value, "position", &position) ||
      !get_int64_property(env, value, "length", &length))
    return 0;
  if (fd < 0 || fd > INT_MAX || position < 0 || length < 0) return 0;
  item->data = NULL;
  item->data_len = 0;
  item->file_fd = (int)fd;
  item->position = position;
  item->length = length;
  return 1;
}

static int read_items(napi_env env, napi_value array, struct send_job *job) {
  uint32_t count;
  if (napi_get_array_length(env, array, &count) != napi_ok) return 0;
  job->items = calloc(count ? count : 1, sizeof *job->items);
  job->buffer_refs = calloc(count ? count : 1, sizeof *job->buffer_refs);
  if (job->items == NULL || job->buffer_refs == NULL) return 0;
  for (uint32_t i = 0; i < count; i++) {
    napi_value value;
    bool is_buffer = false;
    if (napi_get_element(env, array, i, &value) != napi_ok) return 0;
    napi_is_buffer(env, value, &is_buffer);
    int ok = is_buffer ? read_buffer_item(env, value, &job->items[i], job) : read_range_item(env, value, &job->items[i]);
    if (!ok) return 0;
    job->item_count++;
  }
  return 1;
}

static int read_send_args(napi_env env, napi_value *argv, struct send_job *job) {
  int64_t socket_fd, mode, call_bytes, stall_ms;
  if (!get_int64(env, argv[0], &socket_fd) || socket_fd < 0 || socket_fd > INT_MAX) return 0;
  if (!get_int64(env, argv[2], &mode) || (mode != SEND_MODE_SENDFILE && mode != SEND_MODE_COPY)) return 0;
  if (!get_int64(env, argv[3], &call_bytes) || call_bytes <= 0) return 0;
  if (!get_int64(env, argv[4], &stall_ms) || stall_ms <= 0 || stall_ms > INT_MAX) return 0;
  job->socket_fd = (int)socket_fd;
  job->options.mode = (enum send_mode)mode;
  job->options.call_bytes = (size_t)call_bytes;
  job->options.stall_ms = (int)stall_ms;
  return read_items(env, argv[1], job);
}

static void execute_send(napi_env env, void *data) {
  (void)env; /* no N-API calls on a threadpool thread */
  struct send_job *job = data;
  send_sequence(job->socket_fd, job->items, job->item_count, &job->options, &job->stats, &job->failure);
}

static void set_number(napi_env env, napi_value object, const char *name, double number) {
  napi_value value;
  napi_create_double(env, number, &value);
  napi_set_named_property(env, object, name, value);
}

static void set_string(napi_env env, napi_value object, const char *name, const char *text) {
  napi_value value;
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, object, name, value);
}

static napi_value failure_value(napi_env env, const struct send_failure *failure) {
  static const char *const kinds[] = {"none", "errno", "stall", "eof"};
  napi_value value;
  if (failure->kind == SEND_OK) {
    napi_get_null(env, &value);
    return value;
  }
  napi_create_object(env, &value);
  set_string(env, value, "kind", kinds[failure->kind]);
  set_number(env, value, "errno", failure->err);
  set_string(env, value, "syscall", failure->syscall);
  set_number(env, value, "item", (double)failure->item_index);
  return value;
}

static napi_value send_result(napi_env env, const struct send_job *job) {
  napi_value result;
  napi_create_object(env, &result);
  set_number(env, result, "bytes", (double)job->stats.bytes);
  set_number(env, result, "syscalls", (double)job->stats.syscalls);
  set_number(env, result, "sendfileCalls", (double)job->stats.sendfile_calls);
  set_number(env, result, "writeCalls", (double)job->stats.write_calls);
  set_number(env, result, "preadCalls", (double)job->stats.pread_calls);
  set_number(env, result, "pollCalls", (double)job->stats.poll_calls);
  set_number(env, result, "eagain", (double)job->stats.eagain);
  napi_set_named_property(env, result, "failure", failure_value(env, &job->failure));
  return result;
}

static void complete_send(napi_env env, napi_status status, void *data) {
  struct send_job *job = data;
  if (status == napi_ok) {
    napi_resolve_deferred(env, job->deferred, send_result(env, job));
  } else {
    napi_value message, error;
    napi_create_string_utf8(env, "native send was cancelled", NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, NULL, message, &error);
    napi_reject_deferred(env, job->deferred, error);
  }
  free_job(env, job);
}

static napi_value start_send(napi_env env, napi_callback_info info) {
  size_t argc = SEND_ARGC;
  napi_value argv[SEND_ARGC], promise, name;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < SEND_ARGC)
    return throw_type(env, "send(socketFd, items, mode, callBytes, stallMs) needs five arguments");
  struct send_job *job = calloc(1, sizeof *job);
  if (job == NULL) return throw_type(env, "out of memory");
  if (!read_send_args(env, argv, job)) {
    free_job(env, job);
    return throw_type(env, "send: bad socketFd, mode, callBytes, stallMs or item (Buffer or {fd, position, length})");
  }
  napi_create_string_utf8(env, "copyless:send", NAPI_AUTO_LENGTH, &name);
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok ||
      napi_create_async_work(env, NULL, name, execute_send, complete_send, job, &job->work) != napi_ok ||
      napi_queue_async_work(env, job->work) != napi_ok) {
    free_job(env, job);
    return throw_type(env, "send: could not queue the async work");
  }
  return promise;
}

static int fd_argument(napi_env env, napi_callback_info info, int *fd) {
  size_t argc = 1;
  napi_value argv[1];
  int64_t value;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return 0;
  if (!get_int64(env, argv[0], &value) || value < 0 || value > INT_MAX) return 0;
  *fd = (int)value;
  return 1;
}

static napi_value drop_cache(napi_env env, napi_callback_info info) {
  int fd;
  napi_value result;
  if (!fd_argument(env, info, &fd)) return throw_type(env, "dropFileCache(fd) needs a file descriptor");
  napi_create_int32(env, drop_file_cache(fd), &result);
  return result;
}

static napi_value residency(napi_env env, napi_callback_info info) {
  int fd;
  uint64_t pages = 0, resident = 0;
  napi_value result;
  if (!fd_argument(env, info, &fd)) return throw_type(env, "fileResidency(fd) needs a file descriptor");
  int err = file_residency(fd, &pages, &resident);
  napi_create_object(env, &result);
  set_number(env, result, "errno", err);
  set_number(env, result, "pages", (double)pages);
  set_number(env, result, "residentPages", (double)resident);
  return result;
}

/* netdevScatterGather(ifname) -> { errno, enabled } */
static napi_value scatter_gather(napi_env env, napi_callback_info info) {
  size_t argc = 1, length = 0;
  napi_value argv[1], result;
  char name[64];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_string_utf8(env, argv[0], name, sizeof name, &length) != napi_ok || length == 0) {
    return throw_type(env, "netdevScatterGather(ifname) needs an interface name");
  }
  int enabled = 0;
  int err = length >= sizeof name - 1 ? ENAMETOOLONG : netdev_scatter_gather(name, &enabled);
  napi_create_object(env, &result);
  set_number(env, result, "errno", err);
  napi_value flag;
  napi_get_boolean(env, err == 0 && enabled, &flag);
  napi_set_named_property(env, result, "enabled", flag);
  return result;
}

static int sigpipe_ignored(void) {
  struct sigaction action;
  return sigaction(SIGPIPE, NULL, &action) == 0 && action.sa_handler == SIG_IGN;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value ignored;
  napi_property_descriptor properties[] = {
      {"send", NULL, start_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"dropFileCache", NULL, drop_cache, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fileResidency", NULL, residency, NULL, NULL, NULL, napi_enumerable, NULL},
      {"netdevScatterGather", NULL, scatter_gather, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
  napi_get_boolean(env, sigpipe_ignored(), &ignored);
  napi_set_named_property(env, exports, "sigpipeIgnored", ignored);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
