/*
 * Computed defaults: values Consul's builder derives after merging every source,
 * because they depend on other options or on the host.
 *
 *   -dev -server=false       -> bootstrap = false (dev implies bootstrap only for servers)
 *   bootstrap_expect = 1     -> bootstrap = true, bootstrap_expect = 0 (with Consul's
 *                               warning "BootstrapExpect is set to 1; ...")
 *   node_name ""             -> the hostname, trimmed
 *   node_id ""               -> a random UUID, node_id_generated (the agent prefers the
 *                               one persisted in data_dir)
 *   primary_datacenter ""    -> datacenter
 *   leave_on_terminate       -> !server, skip_leave_on_interrupt -> server, unless set
 *   enable_local_script_checks -> enable_script_checks, unless set
 *   rpc.enable_streaming     -> server, unless set
 *   ports <= 0               -> -1 (disabled)
 *   ui_config.content_path   -> "/" + path + "/" ("/ui/" when empty)
 *   recursors                -> duplicates dropped
 */
#include "config/loader.h"

#include "base/random.h"
#include "base/alloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void set_str(char **field, const char *v)
{
	char *s = xstrdup(v);
	free(*field);
	*field = s;
}

static void trim(char *s)
{
	size_t n = strlen(s), start = 0;
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	while (isspace((unsigned char)s[start]))
		start++;
	memmove(s, s + start, n - start + 1);
}

static void node_identity(struct loader *ld)
{
	struct config *c = ld->c;
	if (!c->node_name || !*c->node_name) {
		char host[256] = "";
		if (gethostname(host, sizeof(host) - 1) != 0)
			host[0] = 0;
		set_str(&c->node_name, host);
	}
	trim(c->node_name);
	if (!c->node_id || !*c->node_id) {
		char id[37];
		random_uuid(id);
		set_str(&c->node_id, id);
		c->node_id_generated = true;
	}
	if (!c->primary_datacenter || !*c->primary_datacenter)
		set_str(&c->primary_datacenter, c->datacenter);
}

static bool user_set(struct loader *ld, const char *key)
{
	return loader_set_by_user(ld, opt_find(key));
}

static void mode_defaults(struct loader *ld)
{
	struct config *c = ld->c;
	if (c->bootstrap_expect == 1) {
		c->bootstrap = true;
		c->bootstrap_expect = 0;
		loader_warn(ld, NULL,
			    "BootstrapExpect is set to 1; this is the same as Bootstrap mode.");
	}
	if (c->dev && !c->server && !user_set(ld, "bootstrap"))
		c->bootstrap = false; /* -dev -server=false: a dev client */
	if (!user_set(ld, "leave_on_terminate"))
		c->leave_on_terminate = !c->server;
	if (!user_set(ld, "skip_leave_on_interrupt"))
		c->skip_leave_on_interrupt = c->server;
	if (!user_set(ld, "enable_local_script_checks"))
		c->enable_local_script_checks = c->enable_script_checks;
	if (!user_set(ld, "rpc.enable_streaming"))
		c->rpc_enable_streaming = c->server;
}

/* Consul's UIPathBuilder: "/" + path + "/", "/ui/" when empty. */
static void content_path(struct config *c)
{
	const char *p = c->ui_content_path ? c->ui_content_path : "";
	if (!*p) {
		set_str(&c->ui_content_path, "/ui/");
		return;
	}
	struct buf b = BUF_INIT;
	if (p[0] != '/')
		buf_putc(&b, '/');
	buf_puts(&b, p);
	if (p[strlen(p) - 1] != '/')
		buf_putc(&b, '/');
	free(c->ui_content_path);
	c->ui_content_path = buf_steal(&b);
}

static void dedupe(struct strlist *l)
{
	size_t out = 0;
	for (size_t i = 0; i < l->len; i++) {
		bool seen = false;
		for (size_t j = 0; j < out && !seen; j++)
			seen = strcmp(l->items[j], l->items[i]) == 0;
		if (seen)
			free(l->items[i]);
		else
			l->items[out++] = l->items[i];
	}
	l->len = out;
}

void loader_finish(struct loader *ld)
{
	struct config *c = ld->c;
	mode_defaults(ld);
	node_identity(ld);
	for (size_t i = 0; i < config_options_len; i++) {
		const struct opt *o = &config_options[i];
		int *port = opt_field(c, o);
		if ((o->flags & OPTF_PORT) && *port <= 0)
			*port = -1;
	}
	content_path(c);
	dedupe(&c->recursors);
}
