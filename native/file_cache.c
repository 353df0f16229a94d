// posix_fadvise(POSIX_FADV_DONTNEED) drops only clean pages: a dirty page
// under write-back stays cached, so a file written just before a "cold"
// benchmark would stay warm. fdatasync first makes every page clean.
// Residency is mmap + mincore(2), which reports per page whether it is cached
// without faulting it in.

#include "file_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int drop_file_cache(int fd) {
  /* EINVAL/EROFS: the file cannot be synced (a pipe, a special file); nothing is dirty to write back. */
  if (fdatasync(fd) != 0 && errno != EINVAL && errno != EROFS) return errno;
  return posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
}

static uint64_t count_resident(const unsigned char *vec, uint64_t pages) {
  uint64_t resident = 0;
  for (uint64_t i = 0; i < pages; i++) resident += vec[i] & 1;
  return resident;
}

int file_residency(int fd, uint64_t *pages, uint64_t *resident_pages) {
  struct stat st;
  if (fstat(fd, &st) != 0) return errno;
  if (!S_ISREG(st.st_mode)) return EINVAL;
  *pages = 0;
  *resident_pages = 0;
  if (st.st_size == 0) return 0;
  uint64_t page_bytes = (uint64_t)sysconf(_SC_PAGESIZE);
  uint64_t count = ((uint64_t)st.st_size + page_bytes - 1) / page_bytes;
  void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) return errno;
  unsigned char *vec = malloc(count);
  int err = vec == NULL ? ENOMEM : 0;
  if (err == 0 && mincore(map, (size_t)st.st_size, vec) != 0) err = errno;
  if (err == 0) {
    *pages = count;
    *resident_pages = count_resident(vec, count);
  }
  free(vec);
  munmap(map, (size_t)st.st_size);
  return err;
}
