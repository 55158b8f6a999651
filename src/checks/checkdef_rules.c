/*
 * Check definition rules, as Consul applies them: which type a definition is
 * (CheckType.Type()), whether it is valid (CheckType.Validate()), whether a
 * script check may run (agent.addCheck), and default IDs and names
 * (addServiceInternal, CheckDefinition.HealthCheck). Messages are Consul's,
 * verbatim, because they reach users in HTTP bodies and logs. Pure code.
 */
#include "checks/checkdef.h"

#include "base/alloc.h"
#include "base/err.h"

#include <stdio.h>
#include <string.h>

static bool set(const char *s)
{
	return s && *s;
}

static bool is_script(const struct checkdef *d)
{
	return d->n_args > 0 || set(d->script);
}

static bool is_alias(const struct checkdef *d)
{
	return set(d->alias_node) || set(d->alias_service);
}

enum check_kind checkdef_kind(const struct checkdef *d)
{
	bool iv = d->interval > 0;
	if (set(d->grpc) && iv)
		return CHECK_KIND_GRPC;
	if (set(d->http) && iv)
		return CHECK_KIND_HTTP;
	if (d->ttl > 0)
		return CHECK_KIND_TTL;
	if (set(d->tcp) && iv)
		return CHECK_KIND_TCP;
	if (set(d->udp) && iv)
		return CHECK_KIND_UDP;
	if (is_alias(d))
		return CHECK_KIND_ALIAS;
	if (is_script(d) && set(d->docker_container_id) && iv)
		return CHECK_KIND_DOCKER;
	if (is_script(d))
		return iv ? CHECK_KIND_SCRIPT : CHECK_KIND_NONE;
	if (set(d->h2ping) && iv)
		return CHECK_KIND_H2PING;
	if (set(d->os_service) && iv)
		return CHECK_KIND_OSSERVICE;
	return CHECK_KIND_NONE;
}

const char *check_kind_name(enum check_kind k)
{
	static const char *const names[] = {
	    [CHECK_KIND_NONE] = "",
	    [CHECK_KIND_TTL] = "ttl",
	    [CHECK_KIND_SCRIPT] = "script",
	    [CHECK_KIND_HTTP] = "http",
	    [CHECK_KIND_TCP] = "tcp",
	    [CHECK_KIND_UDP] = "udp",
	    [CHECK_KIND_GRPC] = "grpc",
	    [CHECK_KIND_H2PING] = "h2ping",
	    [CHECK_KIND_ALIAS] = "alias",
	    [CHECK_KIND_DOCKER] = "docker",
	    [CHECK_KIND_OSSERVICE] = "os_service",
	};
	return (unsigned)k <= CHECK_KIND_OSSERVICE ? names[k] : "";
}

static int fail(struct buf *err, const char *msg)
{
	if (err)
		buf_puts(err, msg);
	return CAIRN_E_INVAL;
}

int checkdef_validate(const struct checkdef *d, struct buf *err)
{
	bool interval_check = is_script(d) || set(d->http) || set(d->tcp) || set(d->udp) ||
			      set(d->grpc) || set(d->h2ping) || set(d->os_service);
	if (set(d->script) && d->n_args > 0)
		return fail(err, "Cannot have both script and args");
	if (d->interval > 0 && d->ttl > 0)
		return fail(err, "Interval and TTL cannot both be specified");
	if (interval_check && d->interval <= 0)
		return fail(err, "Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or "
				 "OSService checks");
	if (interval_check && is_alias(d))
		return fail(err, "Interval cannot be set for Alias checks");
	if (is_alias(d) && d->ttl > 0)
		return fail(err, "TTL must be not be set for Alias checks");
	if (!interval_check && !is_alias(d) && d->ttl <= 0)
		return fail(err, "TTL must be > 0 for TTL checks");
	if (d->output_max_size < 0)
		return fail(err, "MaxOutputMaxSize must be positive");
	if (d->failures_before_warning > d->failures_before_critical)
		return fail(err, "FailuresBeforeWarning can't be higher than "
				 "FailuresBeforeCritical");
	if (checkdef_kind(d) == CHECK_KIND_NONE)
		return fail(err, "Check is not valid");
	return 0;
}

int checkdef_allowed(const struct checkdef *d, enum check_source src, bool enable_script,
		     bool enable_local, struct buf *err)
{
	if (!is_script(d))
		return 0;
	if (src == CHECK_SOURCE_LOCAL && !enable_local && !enable_script) {
		if (err)
			buf_puts(err,
				 "Scripts are disabled on this agent; to enable, configure "
				 "'enable_script_checks' or 'enable_local_script_checks' to true");
		return CAIRN_E_PERM;
	}
	if (src == CHECK_SOURCE_REMOTE && !enable_script) {
		if (err)
			buf_puts(err, "Scripts are disabled on this agent from remote calls; to "
				      "enable, configure 'enable_script_checks' to true");
		return CAIRN_E_PERM;
	}
	return 0;
}

bool checkdef_empty(const struct checkdef *d)
{
	struct checkdef zero;
	memset(&zero, 0, sizeof(zero));
	zero.status = CHECK_CRITICAL;
	/* every pointer NULL and every scalar zero: memcmp is exact here because
	 * checkdef_parse starts from a zeroed struct */
	return memcmp(d, &zero, sizeof(zero)) == 0;
}

void checkdef_set_service_defaults(struct checkdef *d, const char *service_id,
				   const char *service_name, size_t index, size_t count)
{
	if (!set(d->id)) {
		struct buf b = BUF_INIT;
		buf_printf(&b, "service:%s", service_id);
		if (count > 1)
			buf_printf(&b, ":%zu", index + 1);
		free(d->id);
		d->id = buf_steal(&b);
	}
	if (!set(d->name)) {
		struct buf b = BUF_INIT;
		buf_printf(&b, "Service '%s' check", service_name);
		free(d->name);
		d->name = buf_steal(&b);
	}
	free(d->service_id);
	d->service_id = xstrdup(service_id);
}

void checkdef_set_check_defaults(struct checkdef *d)
{
	if (!set(d->id) && set(d->name)) {
		free(d->id);
		d->id = xstrdup(d->name);
	}
}
