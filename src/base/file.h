/*
 * Whole-file replacement that a crash cannot leave half done: the bytes go
 * to <path>.tmp, which is fsynced, renamed over <path>, and the directory is
 * fsynced so the rename itself is durable. A reader sees the old file or the
 * new one, never a mix. Used for the small side files the agent and CLI
 * keep (keyring, serf snapshot compaction, autopilot config, TLS files);
 * the service/check store batches its own flushes (local/persist.c).
 *
 * Blocking I/O; any thread.
 */
#ifndef CAIRN_BASE_FILE_H
#define CAIRN_BASE_FILE_H

#include <stddef.h>

/* write(2) until all n bytes are written (EINTR retried): 0 or -errno. */
int file_write_all(int fd, const void *p, size_t n);

/* fsync the directory holding path ("." for a bare name), best effort. */
void file_sync_dir(const char *path);

/* Replace path with n bytes of data, created with mode (before umask).
 * 0, or -errno with *step (when step is not NULL) naming what failed:
 * "open", "write", "sync" or "close" (all on <path>.tmp) or "rename";
 * <path>.tmp is removed on failure. */
int file_replace(const char *path, const void *data, size_t n, unsigned mode, const char **step);

#endif
