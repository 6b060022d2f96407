/* The data directory turning read-only, for tests/hostile/test_faults.py.

   A real read-only remount cannot be made here while the server holds its files open for
   writing (the kernel answers EBUSY), and there is no device-mapper to fail a disk under it. So
   the server runs with this library preloaded: once the file named by WB_EROFS_TRIGGER exists,
   every write, sync or truncation of a file under WB_EROFS_DIR fails with EROFS, as on a
   filesystem remounted read-only after an error; remove the file and writes work again.

   Build: cc -shared -fPIC -O2 -o erofs.so erofs.c -ldl */

#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static int read_only_now(void) {
    const char *trigger = getenv("WB_EROFS_TRIGGER");
    return trigger != NULL && access(trigger, F_OK) == 0;
}

static int under_data(int fd) {
    const char *dir = getenv("WB_EROFS_DIR");
    char link[64], path[4096];
    if (dir == NULL) return 0;
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n < 0) return 0;
    path[n] = '\0';
    return strncmp(path, dir, strlen(dir)) == 0;
}

static int refused(int fd) {
    if (read_only_now() && under_data(fd)) {
        errno = EROFS;
        return 1;
    }
    return 0;
}

#define NEXT(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

ssize_t write(int fd, const void *buf, size_t n) {
    if (refused(fd)) return -1;
    return NEXT(write)(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t at) {
    if (refused(fd)) return -1;
    return NEXT(pwrite)(fd, buf, n, at);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t at) {
    if (refused(fd)) return -1;
    return NEXT(pwrite64)(fd, buf, n, at);
}

int fsync(int fd) {
    if (refused(fd)) return -1;
    return NEXT(fsync)(fd);
}

int fdatasync(int fd) {
    if (refused(fd)) return -1;
    return NEXT(fdatasync)(fd);
}

int ftruncate(int fd, off_t size) {
    if (refused(fd)) return -1;
    return NEXT(ftruncate)(fd, size);
}

int ftruncate64(int fd, off64_t size) {
    if (refused(fd)) return -1;
    return NEXT(ftruncate64)(fd, size);
}
