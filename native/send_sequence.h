// send_sequence: write a sequence of memory buffers and file ranges to a
// non-blocking socket with real system calls, counting every one of them.
//
// Plain POSIX, no N-API: it runs on a libuv threadpool thread while the JS
// loop goes on, so it must never touch JS values. The caller keeps every
// buffer alive and every file descriptor open until it returns.

#ifndef COPYLESS_SEND_SEQUENCE_H
#define COPYLESS_SEND_SEQUENCE_H

#include <stddef.h>
#include <stdint.h>

enum send_mode {
  /* sendfile(2) from the file to the socket: page cache to socket buffer in the kernel. */
  SEND_MODE_SENDFILE = 0,
  /* pread(2) into a reusable user-space buffer, then send(2): the classic read + write. */
  SEND_MODE_COPY = 1,
};

/*
 * One element of a response: bytes in memory when file_fd < 0 (data may be
 * NULL when data_len is 0), otherwise length bytes of file_fd from position.
 */
struct send_item {
  const uint8_t *data;
  size_t data_len;
  int file_fd;
  int64_t position;
  int64_t length;
};

struct send_options {
  enum send_mode mode;
  /* Most bytes handed to one sendfile or pread call (the copy buffer's size). */
  size_t call_bytes;
  /* Longest wait in poll(POLLOUT) without the socket becoming writable. */
  int stall_ms;
};

/* Every system call the send made, by kind; syscalls is the total, cork toggles included. */
struct send_stats {
  uint64_t bytes;
  uint64_t syscalls;
  uint64_t sendfile_calls;
  uint64_t write_calls;
  uint64_t pread_calls;
  uint64_t poll_calls;
  uint64_t eagain;
};

enum send_failure_kind {
  SEND_OK = 0,
  /* A system call failed; err holds its errno. */
  SEND_FAILED_ERRNO = 1,
  /* The socket stayed full for stall_ms: the peer stopped reading. */
  SEND_FAILED_STALL = 2,
  /* A file range reaches past the end of its file. */
  SEND_FAILED_EOF = 3,
};

struct send_failure {
  enum send_failure_kind kind;
  int err;
  /* Name of the failing call: "sendfile", "pread", "sendmsg", "poll", "setsockopt", "malloc". */
  const char *syscall;
  /* Index of the item being sent when it failed. */
  size_t item_index;
};

/* Returns 0 when every byte reached the socket, -1 with *failure filled otherwise. */
int send_sequence(int socket_fd, const struct send_item *items, size_t item_count,
                  const struct send_options *options, struct send_stats *stats,
                  struct send_failure *failure);

#endif
