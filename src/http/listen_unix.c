/*
 * unix:// listeners for the HTTP server (Consul's addresses.http/https may
 * name unix domain sockets: "unix:///run/consul/http.sock").
 *
 * Binding. A socket file left behind by an earlier run (a crash, a SIGKILL)
 * would make bind fail, so a file already at the path is removed first, as
 * Consul does ("Replacing socket"), but only when it is a socket: any other
 * kind of file is an error rather than data loss (Consul removes whatever is
 * there). Ownership and mode come from unix_sockets { user, group, mode } with
 * Consul's rules (user: name or numeric id; group: numeric id, or a name here;
 * mode: octal digits, "0600" or "600") and are applied between bind and listen,
 * so no client can connect while the file still has the umask's permissions.
 *
 * Removal. The file is removed when the listener closes, like Go's
 * UnixListener.Close, but only if the path still names the socket this
 * listener created (same device and inode): a newer process that replaced it
 * keeps its socket.
 */
#include "http/server.h"

#include "base/alloc.h"
#include "base/log.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

bool listen_is_unix(const char *addr)
{
	return strncmp(addr, "unix://", 7) == 0;
}

/* A decimal id ("1000"): true and *out set. */
static bool parse_id(const char *s, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0)
		return false;
	*out = v;
	return true;
}

/* unix_sockets: chown (when user or group is given), then chmod (when mode is). */
static int set_perms(const char *path, const struct http_server_config *cfg, struct buf *errbuf)
{
	const char *user = cfg->unix_user, *group = cfg->unix_group, *mode = cfg->unix_mode;
	long uid = -1, gid = -1;
	if (user && *user && !parse_id(user, &uid)) {
		struct passwd *pw = getpwnam(user);
		if (!pw) {
			buf_printf(errbuf, "Failed setting up socket: failed to look up user %s",
				   user);
			return UV_EINVAL;
		}
		uid = (long)pw->pw_uid;
	}
	if (group && *group && !parse_id(group, &gid)) {
		struct group *gr = getgrnam(group);
		if (!gr) {
			buf_printf(errbuf, "Failed setting up socket: invalid group specified: %s",
				   group);
			return UV_EINVAL;
		}
		gid = (long)gr->gr_gid;
	}
	if ((uid >= 0 || gid >= 0) && chown(path, (uid_t)uid, (gid_t)gid) != 0) {
		int e = errno;
		buf_printf(errbuf,
			   "Failed setting up socket: failed setting ownership to %ld:%ld "
			   "on \"%s\": %s",
			   uid, gid, path, strerror(e));
		return uv_translate_sys_error(e);
	}
	if (mode && *mode) {
		char *end;
		errno = 0;
		unsigned long m = strtoul(mode, &end, 8);
		if (errno || end == mode || *end || *mode == '-' || m > 0xFFFFFFFFul) {
			buf_printf(errbuf, "Failed setting up socket: invalid mode specified: %s",
				   mode);
			return UV_EINVAL;
		}
		/* Go's os.FileMode keeps only the permission bits of a plain number */
		if (chmod(path, (mode_t)(m & 0777)) != 0) {
			int e = errno;
			buf_printf(errbuf,
				   "Failed setting up socket: failed setting permissions to %lo "
				   "on \"%s\": %s",
				   m & 0777, path, strerror(e));
			return uv_translate_sys_error(e);
		}
	}
	return 0;
}

int listen_unix_bind(struct listener *l, const char *addr, const struct http_server_config *cfg,
		     struct buf *errbuf)
{
	const char *path = addr + 7;
	snprintf(l->name, sizeof(l->name), "%s", path);
	struct sockaddr_un sun;
	if (!*path || strlen(path) >= sizeof(sun.sun_path)) {
		buf_printf(errbuf, "listen unix %s: bind: %s", path,
			   *path ? "file name too long" : "no socket path");
		return UV_EINVAL;
	}
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			buf_printf(errbuf, "listen unix %s: bind: file exists and is not a socket",
				   path);
			return UV_EADDRINUSE;
		}
		log_warn("agent", "Replacing socket: path=%s", path);
		if (unlink(path) != 0 && errno != ENOENT) {
			int e = errno;
			buf_printf(errbuf, "error removing socket file: %s", strerror(e));
			return uv_translate_sys_error(e);
		}
	}
	int err = uv_pipe_bind(&l->pipe, path);
	if (err) {
		buf_printf(errbuf, "listen unix %s: bind: %s", path, uv_strerror(err));
		return err;
	}
	if (lstat(path, &st) == 0) { /* ours now: removed at close */
		l->path = xstrdup(path);
		l->dev = st.st_dev;
		l->ino = st.st_ino;
	}
	return set_perms(path, cfg, errbuf);
}

void listen_unix_remove(struct listener *l)
{
	if (!l->path)
		return;
	struct stat st;
	if (lstat(l->path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == l->dev &&
	    st.st_ino == l->ino && unlink(l->path) != 0)
		log_warn("agent.http", "removing socket %s: %s", l->path, strerror(errno));
	free(l->path);
	l->path = NULL;
}
