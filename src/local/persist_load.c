/*
 * Reading the local state back from data_dir (formats in local.h): at boot,
 * before the loop runs, the services then the checks the API registered (a
 * config entry with the same ID wins and the file goes, as Consul), and a TTL
 * check's last state when the check is registered (a queued write wins; an
 * expired state is removed). Files that do not decode are logged and skipped.
 */
#include "local/persist.h"

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef void (*file_fn)(struct local_state *ls, const char *path, json_t *doc);

static void each_file(struct local_state *ls, const char *sub, file_fn fn)
{
	char dirpath[4096], path[4400];
	snprintf(dirpath, sizeof(dirpath), "%s/%s", ls->data_dir, sub);
	DIR *d = opendir(dirpath);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.' || (len > 3 && strcmp(e->d_name + len - 3, "tmp") == 0))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dirpath, e->d_name);
		struct stat st;
		if (stat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		json_error_t jerr;
		json_t *doc = json_load_file(path, 0, &jerr);
		if (!json_is_object(doc)) {
			log_error(LOCAL_LOG, "Failed decoding file: file=%s error=\"%s\"", path,
				  jerr.text);
			json_decref(doc);
			continue;
		}
		fn(ls, path, doc);
		json_decref(doc);
	}
	closedir(d);
}

static void load_service(struct local_state *ls, const char *path, json_t *doc)
{
	struct service_def def;
	struct buf err = BUF_INIT;
	if (servicedef_parse(json_object_get(doc, "Service"), &def, &err) ||
	    servicedef_validate(&def, &err)) {
		log_error(LOCAL_LOG, "Failed decoding service file: file=%s error=\"%s\"", path,
			  buf_cstr(&err));
		servicedef_free(&def);
		buf_free(&err);
		return;
	}
	servicedef_finalize(&def);
	if (local_service(ls, def.id)) {
		/* config files win over what the API registered before */
		log_debug(LOCAL_LOG, "service exists, not restoring from file: service=%s file=%s",
			  def.id, path);
		unlink(path);
		servicedef_free(&def);
	} else if (local_add_service(ls, &def, LOCAL_ORIGIN_API, false, &err)) {
		log_warn(LOCAL_LOG, "Failed to restore service: file=%s error=\"%s\"", path,
			 buf_cstr(&err));
	} else {
		log_debug(LOCAL_LOG, "restored service definition from file: file=%s", path);
	}
	buf_free(&err);
}

static const char *jstr(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? s : "";
}

static void load_maint(struct local_state *ls, const char *path, json_t *m)
{
	const char *id = jstr(m, "CheckID"), *sid = jstr(m, "ServiceID");
	if (!*id || local_check(ls, id) || (*sid && !local_service(ls, sid))) {
		unlink(path);
		return;
	}
	local_maint_restore(ls, id, jstr(m, "Name"), jstr(m, "Notes"), sid);
}

static void load_check(struct local_state *ls, const char *path, json_t *doc)
{
	struct checkdef def;
	struct buf err = BUF_INIT;
	json_t *m = json_object_get(doc, "Maintenance");
	if (json_is_object(m)) {
		load_maint(ls, path, m);
		return;
	}
	if (checkdef_parse(json_object_get(doc, "Check"), &def, &err) || !def.id) {
		log_error(LOCAL_LOG, "Failed decoding check file: file=%s error=\"%s\"", path,
			  buf_cstr(&err));
		checkdef_free(&def);
		buf_free(&err);
		return;
	}
	if (local_check(ls, def.id)) {
		log_debug(LOCAL_LOG, "check exists, not restoring from file: check=%s", def.id);
		unlink(path);
		checkdef_free(&def);
		return;
	}
	/* restored checks start critical (Consul), unless TTL state says otherwise */
	def.has_status = false;
	/* only API checks are persisted with a definition */
	char *id = xstrdup(def.id);
	if (local_add_check(ls, &def, LOCAL_ORIGIN_API, &err)) {
		log_warn(LOCAL_LOG, "Failed to restore check: check=%s error=\"%s\"", id,
			 buf_cstr(&err));
		unlink(path);
	}
	free(id);
	buf_free(&err);
}

int persist_load(struct local_state *ls, struct buf *err)
{
	if (!persist_enabled(ls))
		return 0;
	each_file(ls, DIR_SERVICES, load_service);
	each_file(ls, DIR_CHECKS, load_check);
	/* nothing restored needs writing back */
	idmap_free(&ls->persist->services);
	idmap_free(&ls->persist->checks);
	return 0;
}

int persist_load_state(struct local_state *ls, const char *id, enum check_status *st, char **output)
{
	if (!persist_enabled(ls))
		return CAIRN_E_NOTFOUND;
	uv_timeval64_t now;
	uv_gettimeofday(&now);
	struct pending_state *p = idmap_get(&ls->persist->states, id);
	if (p) {
		if (p->expires < 0 || now.tv_sec >= p->expires)
			return CAIRN_E_NOTFOUND;
		*st = p->status;
		*output = xstrdup(p->output ? p->output : "");
		return 0;
	}
	char *rel = persist_rel_path(DIR_STATE, id), path[4096];
	snprintf(path, sizeof(path), "%s/%s", ls->data_dir, rel);
	free(rel);
	json_t *doc = json_load_file(path, 0, NULL);
	int rv = CAIRN_E_NOTFOUND;
	json_int_t exp = json_integer_value(json_object_get(doc, "Expires"));
	if (json_is_object(doc) && strcmp(jstr(doc, "CheckID"), id) == 0 && now.tv_sec < exp &&
	    check_status_parse(jstr(doc, "Status"), st) == 0) {
		*output = xstrdup(jstr(doc, "Output"));
		rv = 0;
	} else if (doc) {
		log_debug(LOCAL_LOG, "check state expired, not restoring: check=%s", id);
		unlink(path);
	}
	json_decref(doc);
	return rv;
}
