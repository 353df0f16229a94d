// The send loop behind native-sendfile and native-copy.
//
// The socket is libuv's: non-blocking (O_NONBLOCK belongs to the open file
// description libuv shares, so it is never changed here). A full socket buffer
// shows up as EAGAIN, answered with poll(POLLOUT) as libuv's own
// uv__fs_sendfile_emul does; libuv cannot watch the fd a second time
// (uv_poll_init returns UV_EEXIST), which is why this runs on a threadpool
// thread and blocks in poll instead. Buffers go out with sendmsg(MSG_NOSIGNAL)
// so a reset peer gives EPIPE, not SIGPIPE; sendfile(2) has no such flag and
// relies on the process ignoring SIGPIPE, which Node does (the addon checks
// it at load time).
//
// Coalescing: every sendmsg but the sequence's last carries MSG_MORE, so a
// header leaves in one segment with the bytes after it instead of a tiny
// segment of its own. sendfile(2) takes no flags and pushes its last segment,
// so only a sequence with a file range before other bytes is wrapped in
// TCP_CORK (two setsockopt calls); the common [header, range] needs none.

#include "send_sequence.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* Largest count one read/write-family call moves on Linux (MAX_RW_COUNT). */
#define RW_COUNT_BYTES_MAX ((size_t)0x7ffff000)
/* Buffers per sendmsg call; a longer run of buffers takes several calls. */
#define SEND_IOVECS_MAX 64
/* Alignment of the copy buffer: whole pages, as a kernel copy prefers. */
#define COPY_BUFFER_ALIGN_BYTES 4096

struct sender {
  int socket_fd;
  const struct send_options *options;
  struct send_stats *stats;
  struct send_failure *failure;
  size_t item_index;
  /* Index of the last item with bytes in it: a send up to it passes MSG_MORE. */
  size_t last_index;
};

/*
 * The native-copy buffer: one per threadpool thread, grown to the largest
 * chunk a send on that thread has needed (at most call_bytes) and reused by
 * every later send there, so the copy mode pays for its copy, not for an
 * allocation per call. Threadpool threads live as long as the process, so it
 * is never freed.
 */
static __thread uint8_t *copy_buffer;
static __thread size_t copy_buffer_bytes;

static int fail(struct sender *s, enum send_failure_kind kind, int err, const char *syscall) {
  s->failure->kind = kind;
  s->failure->err = err;
  s->failure->syscall = syscall;
  s->failure->item_index = s->item_index;
  return -1;
}

static size_t call_size(int64_t left_bytes, size_t call_bytes) {
  size_t cap = call_bytes < RW_COUNT_BYTES_MAX ? call_bytes : RW_COUNT_BYTES_MAX;
  return (uint64_t)left_bytes < cap ? (size_t)left_bytes : cap;
}

/*
 * Blocks until the socket has room. POLLERR and POLLHUP return 0 too: the
 * next send reports the real error (ECONNRESET, EPIPE). The stall limit
 * bounds how long a peer that stopped reading can hold a threadpool thread.
 */
static int wait_writable(struct sender *s) {
  struct pollfd p = {.fd = s->socket_fd, .events = POLLOUT};
  for (;;) {
    s->stats->syscalls++;
    s->stats->poll_calls++;
    int ready = poll(&p, 1, s->options->stall_ms);
    if (ready > 0) return (p.revents & POLLNVAL) ? fail(s, SEND_FAILED_ERRNO, EBADF, "poll") : 0;
    if (ready == 0) return fail(s, SEND_FAILED_STALL, ETIMEDOUT, "poll");
    if (errno != EINTR) return fail(s, SEND_FAILED_ERRNO, errno, "poll");
  }
}

/* After a socket call returned -1: 0 to try the call again, -1 when the send failed. */
static int after_socket_error(struct sender *s, const char *syscall) {
  if (errno == EINTR) return 0;
  if (errno == EAGAIN || errno == EWOULDBLOCK) {
    s->stats->eagain++;
    return wait_writable(s);
  }
  return fail(s, SEND_FAILED_ERRNO, errno, syscall);
}

/* Sends iov[0..count) completely, stepping over partial sends; the iovecs are consumed. */
static int send_iovecs(struct sender *s, struct iovec *iov, size_t count, int more) {
  int flags = MSG_NOSIGNAL | (more ? MSG_MORE : 0);
  while (count > 0) {
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = count};
    s->stats->syscalls++;
    s->stats->write_calls++;
    ssize_t sent = sendmsg(s->socket_fd, &msg, flags);
    if (sent < 0) {
      if (after_socket_error(s, "sendmsg") < 0) return -1;
      continue;
    }
    s->stats->bytes += (uint64_t)sent;
    size_t done = (size_t)sent;
    while (count > 0 && done >= iov->iov_len) {
      done -= iov->iov_len;
      iov++;
      count--;
    }
    if (count > 0) {
      iov->iov_base = (uint8_t *)iov->iov_base + done;
      iov->iov_len -= done;
    }
  }
  return 0;
}

/* Sends the run of memory items starting at *index, up to SEND_IOVECS_MAX of them in one sendmsg. */
static int send_buffer_run(struct sender *s, const struct send_item *items, size_t item_count, size_t *index) {
  struct iovec iov[SEND_IOVECS_MAX];
  size_t count = 0;
  s->item_index = *index;
  while (*index < item_count && items[*index].file_fd < 0 && count < SEND_IOVECS_MAX) {
    const struct send_item *item = &items[(*index)++];
    if (item->data_len == 0) continue;
    iov[count].iov_base = (void *)item->data;
    iov[count].iov_len = item->data_len;
    count++;
  }
  return send_iovecs(s, iov, count, *index - 1 < s->last_index);
}

/* sendfile(2) with the offset pointer, so the file's own position is never moved. */
static int send_range_sendfile(struct sender *s, const struct send_item *item) {
  off_t offset = item->position;
  int64_t left = item->length;
  while (left > 0) {
    s->stats->syscalls++;
    s->stats->sendfile_calls++;
    ssize_t sent = sendfile(s->socket_fd, item->file_fd, &offset, call_size(left, s->options->call_bytes));
    if (sent > 0) {
      left -= sent;
      s->stats->bytes += (uint64_t)sent;
      continue;
    }
    if (sent == 0) return fail(s, SEND_FAILED_EOF, 0, "sendfile");
    if (after_socket_error(s, "sendfile") < 0) return -1;
  }
  return 0;
}

static uint8_t *thread_copy_buffer(size_t bytes) {
  if (copy_buffer_bytes >= bytes) return copy_buffer;
  free(copy_buffer);
  copy_buffer = NULL;
  copy_buffer_bytes = 0;
  void *memory;
  if (posix_memalign(&memory, COPY_BUFFER_ALIGN_BYTES, bytes) != 0) return NULL;
  copy_buffer = memory;
  copy_buffer_bytes = bytes;
  return copy_buffer;
}

/* pread(2) into the thread's copy buffer, then send it: one CPU copy out of the page cache, one back in. */
static int send_range_copy(struct sender *s, const struct send_item *item) {
  if (item->length == 0) return 0;
  size_t buffer_bytes = call_size(item->length, s->options->call_bytes);
  uint8_t *buffer = thread_copy_buffer(buffer_bytes);
  if (buffer == NULL) return fail(s, SEND_FAILED_ERRNO, ENOMEM, "malloc");
  off_t offset = item->position;
  int64_t left = item->length;
  while (left > 0) {
    s->stats->syscalls++;
    s->stats->pread_calls++;
    ssize_t got = pread(item->file_fd, buffer, call_size(left, buffer_bytes), offset);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return fail(s, SEND_FAILED_ERRNO, errno, "pread");
    if (got == 0) return fail(s, SEND_FAILED_EOF, 0, "pread");
    struct iovec iov = {.iov_base = buffer, .iov_len = (size_t)got};
    offset += got;
    left -= got;
    if (send_iovecs(s, &iov, 1, left > 0 || s->item_index < s->last_index) < 0) return -1;
  }
  return 0;
}

/*
 * Cork is an optimisation only: a socket that refuses it (not TCP) is sent
 * to uncorked, and a failed uncork cannot be repaired here anyway.
 */
static int set_cork(struct sender *s, int on) {
  s->stats->syscalls++;
  return setsockopt(s->socket_fd, IPPROTO_TCP, TCP_CORK, &on, sizeof on) == 0;
}

static int64_t item_bytes(const struct send_item *item) {
  return item->file_fd < 0 ? (int64_t)item->data_len : item->length;
}

/* Finds the last item with bytes; returns whether a sendfile'd range comes before it (cork needed). */
static int plan_coalescing(struct sender *s, const struct send_item *items, size_t item_count) {
  size_t last = 0;
  for (size_t i = 0; i < item_count; i++)
    if (item_bytes(&items[i]) > 0) last = i;
  s->last_index = last;
  if (s->options->mode != SEND_MODE_SENDFILE) return 0;
  for (size_t i = 0; i < last; i++)
    if (items[i].file_fd >= 0 && items[i].length > 0) return 1;
  return 0;
}

static int send_items(struct sender *s, const struct send_item *items, size_t item_count) {
  size_t index = 0;
  while (index < item_count) {
    if (items[index].file_fd < 0) {
      if (send_buffer_run(s, items, item_count, &index) < 0) return -1;
      continue;
    }
    s->item_index = index;
    const struct send_item *item = &items[index++];
    int rc = s->options->mode == SEND_MODE_SENDFILE ? send_range_sendfile(s, item) : send_range_copy(s, item);
    if (rc < 0) return -1;
  }
  return 0;
}

int send_sequence(int socket_fd, const struct send_item *items, size_t item_count,
                  const struct send_options *options, struct send_stats *stats,
                  struct send_failure *failure) {
  struct sender s = {.socket_fd = socket_fd, .options = options, .stats = stats, .failure = failure};
  failure->kind = SEND_OK;
  int corked = plan_coalescing(&s, items, item_count) && set_cork(&s, 1);
  int rc = send_items(&s, items, item_count);
  if (corked) set_cork(&s, 0);
  return rc;
}
