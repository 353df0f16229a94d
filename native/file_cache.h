// file_cache: the OS page cache as seen through one file descriptor.
//
// Used by cold-cache benchmarks and tests; neither call needs root.

#ifndef COPYLESS_FILE_CACHE_H
#define COPYLESS_FILE_CACHE_H

#include <stdint.h>

/* Writes the file's dirty pages back, then drops its clean cached pages. Returns 0 or an errno. */
int drop_file_cache(int fd);

/* Counts the file's pages and how many of them sit in the page cache. Returns 0 or an errno. */
int file_residency(int fd, uint64_t *pages, uint64_t *resident_pages);

#endif
