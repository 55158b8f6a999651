/*
 * Prepared-query templates and resolution (model in query_exec.h).
 *
 * Interpolation is a small reader of HIL's ${...} form: the text between
 * "${" and the next "}" is trimmed and must be a variable name or
 * match(<digits>); "$${" is a literal "${". The regexp is rewritten from the
 * RE2 forms templates use into POSIX ERE and compiled per render (templates
 * are rendered once per execution; compiling a short pattern costs
 * microseconds), after base/filter_regex.c has vetted it as Go would (and
 * bounded its size). Loop thread for resolution; rendering alone is pure.
 */
#include "state/query_exec.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/filter_internal.h"

#include <ctype.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_GROUPS 32 /* regexp groups ${match(N)} can reach */

/* RE2 -> POSIX ERE for the forms above; -1 with *why on (?...). */
static int translate(const char *re, struct buf *out, char **why)
{
	bool in_bracket = false;
	for (const char *p = re; *p; p++) {
		if (*p == '\\' && p[1]) {
			if (!in_bracket && (p[1] == 'd' || p[1] == 'D')) {
				buf_puts(out, p[1] == 'd' ? "[0-9]" : "[^0-9]");
			} else if (in_bracket && p[1] == 'd') {
				buf_puts(out, "0-9");
			} else if (in_bracket) {
				buf_putc(out, p[1]); /* \- \] and friends: the character */
			} else {
				buf_putc(out, '\\');
				buf_putc(out, p[1]);
			}
			p++;
			continue;
		}
		if (in_bracket) {
			if (*p == ']')
				in_bracket = false;
			buf_putc(out, *p);
			continue;
		}
		if (*p == '[') {
			in_bracket = true;
			buf_putc(out, '[');
			if (p[1] == '^')
				buf_putc(out, *++p);
			if (p[1] == ']')
				buf_putc(out, *++p);
			continue;
		}
		if (*p == '(' && p[1] == '?') {
			*why = buf_fmt("Bad Regexp: unsupported group syntax in '%s'", re);
			return -1;
		}
		if (*p == '?' && p > re && strchr("*+?}", p[-1]) &&
		    !(p - 1 > re && p[-2] == '\\')) {
			/* lazy quantifier: greedy matches the same strings */
			if (p[-1] != '?')
				continue;
		}
		buf_putc(out, *p);
	}
	return 0;
}

/* Go's checks and a size bound first: the filter language's RE2 reader
 * (base/filter_regex.c) refuses what Go refuses (a++, counts over 1000) and
 * patterns glibc would expand into gigabytes ((a{1000}){1000}). */
static int vet(const char *re, char **why)
{
	struct fmatch m;
	memset(&m, 0, sizeof(m));
	m.value.raw = (struct fstr){(char *)re, strlen(re)};
	size_t budget = FILTER_REGEX_BUDGET;
	struct buf err = BUF_INIT;
	int rc = filter_regex_compile(&m, &budget, &err);
	if (rc == 0)
		regfree(&m.re);
	else
		*why = buf_fmt("Bad Regexp: %s", buf_cstr(&err));
	buf_free(&err);
	return rc;
}

static int compile(const char *re, regex_t *out, char **why)
{
	struct buf b = BUF_INIT;
	if (vet(re, why))
		return -1;
	if (translate(re, &b, why)) {
		buf_free(&b);
		return -1;
	}
	int rc = regcomp(out, buf_cstr(&b), REG_EXTENDED);
	buf_free(&b);
	if (rc) {
		char msg[128];
		regerror(rc, out, msg, sizeof(msg));
		*why = buf_fmt("Bad Regexp: %s", msg);
		return -1;
	}
	return 0;
}

/* What ${...} may name, for one render. */
struct scope {
	const char *full, *prefix, *suffix, *segment;
	const char *subject;	       /* the string the regexp ran on */
	regmatch_t groups[MAX_GROUPS]; /* rm_so -1: no group */
};

static void trim(const char **s, size_t *n)
{
	while (*n && isspace((unsigned char)**s))
		(*s)++, (*n)--;
	while (*n && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

static bool word(const char *s, size_t n, const char *w)
{
	return strlen(w) == n && memcmp(s, w, n) == 0;
}

/* One ${expr}: appended to out, or -1 with *why. */
static int eval(const struct scope *sc, const char *e, size_t n, struct buf *out, char **why)
{
	trim(&e, &n);
	if (word(e, n, "name.full"))
		buf_puts(out, sc->full);
	else if (word(e, n, "name.prefix"))
		buf_puts(out, sc->prefix);
	else if (word(e, n, "name.suffix"))
		buf_puts(out, sc->suffix);
	else if (word(e, n, "agent.segment"))
		buf_puts(out, sc->segment);
	else if (n > 7 && memcmp(e, "match(", 6) == 0 && e[n - 1] == ')') {
		const char *a = e + 6;
		size_t an = n - 7;
		trim(&a, &an);
		if (!an || an > 9) {
			*why = buf_fmt("bad argument to match(): '%.*s'", (int)n, e);
			return -1;
		}
		size_t idx = 0;
		for (size_t i = 0; i < an; i++) {
			if (!isdigit((unsigned char)a[i])) {
				*why = buf_fmt("bad argument to match(): '%.*s'", (int)n, e);
				return -1;
			}
			idx = idx * 10 + (size_t)(a[i] - '0');
		}
		if (sc->subject && idx < MAX_GROUPS && sc->groups[idx].rm_so >= 0)
			buf_append(out, sc->subject + sc->groups[idx].rm_so,
				   (size_t)(sc->groups[idx].rm_eo - sc->groups[idx].rm_so));
	} else {
		*why = buf_fmt("unknown variable accessed: %.*s", (int)n, e);
		return -1;
	}
	return 0;
}

/* Interpolate *s in place (NULL stays NULL). */
static int interp(const struct scope *sc, char **s, char **why)
{
	if (!*s || !strchr(*s, '$'))
		return 0;
	struct buf out = BUF_INIT;
	const char *p = *s;
	while (*p) {
		if (p[0] == '$' && p[1] == '$' && p[2] == '{') {
			buf_puts(&out, "${");
			p += 3;
		} else if (p[0] == '$' && p[1] == '{') {
			const char *end = strchr(p + 2, '}');
			if (!end) {
				*why = buf_fmt("Bad format '%s': unterminated ${", *s);
				buf_free(&out);
				return -1;
			}
			if (eval(sc, p + 2, (size_t)(end - p - 2), &out, why)) {
				buf_free(&out);
				return -1;
			}
			p = end + 1;
		} else {
			buf_putc(&out, *p++);
		}
	}
	free(*s);
	*s = xstrdup(buf_cstr(&out));
	buf_free(&out);
	return 0;
}

static int interp_list(const struct scope *sc, struct pq_list *l, char **why)
{
	for (size_t i = 0; i < l->n; i++)
		if (interp(sc, &l->v[i], why))
			return -1;
	return 0;
}

static int interp_map(const struct scope *sc, struct pq_map *m, char **why)
{
	for (size_t i = 0; i < m->n; i++) {
		char *v = (char *)m->v[i].value;
		int rc = interp(sc, &v, why);
		m->v[i].value = v;
		if (rc)
			return -1;
	}
	return 0;
}

static void drop_empty_tags(struct pq_list *l)
{
	size_t k = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i][0])
			l->v[k++] = l->v[i];
		else
			free(l->v[i]);
	}
	l->n = k;
}

struct prepared_query *pquery_render(const struct prepared_query *t, const char *name,
				     const char *segment, char **why)
{
	struct scope sc = {.full = name, .prefix = pq_str(t->name), .segment = segment};
	size_t plen = strlen(sc.prefix);
	sc.suffix = strlen(name) >= plen ? name + plen : "";
	for (size_t i = 0; i < MAX_GROUPS; i++)
		sc.groups[i].rm_so = sc.groups[i].rm_eo = -1;
	if (t->tmpl_regexp && t->tmpl_regexp[0]) {
		regex_t re;
		if (compile(t->tmpl_regexp, &re, why))
			return NULL;
		if (regexec(&re, name, MAX_GROUPS, sc.groups, 0) == 0)
			sc.subject = name;
		regfree(&re);
	}
	struct prepared_query *q = pquery_dup(t);
	if (interp(&sc, &q->service, why) || interp_list(&sc, &q->dcs, why) ||
	    interp_list(&sc, &q->ignore, why) || interp(&sc, &q->near, why) ||
	    interp_list(&sc, &q->tags, why) || interp_map(&sc, &q->node_meta, why) ||
	    interp_map(&sc, &q->svc_meta, why) || interp(&sc, &q->peer, why)) {
		pquery_unref(q);
		return NULL;
	}
	if (q->tmpl_remove_empty)
		drop_empty_tags(&q->tags);
	return q;
}

int pquery_template_check(const struct prepared_query *q, char **why)
{
	if (!pquery_is_template(q))
		return 0;
	if (strcmp(q->tmpl_type, QUERY_TEMPLATE_PREFIX) != 0) {
		*why = buf_fmt("Bad Template.Type '%s'", q->tmpl_type);
		return -1;
	}
	struct prepared_query *r = pquery_render(q, pq_str(q->name), "", why);
	if (!r)
		return -1;
	pquery_unref(r);
	return 0;
}

/* The template whose Name is the longest prefix of name. */
struct longest {
	const char *name;
	const struct prepared_query *best;
	size_t len;
};

static int longest_one(void *ctx, const struct prepared_query *t)
{
	struct longest *l = ctx;
	if (!pquery_is_template(t))
		return 0;
	size_t n = strlen(pq_str(t->name));
	if (strncasecmp(pq_str(t->name), l->name, n) == 0 && (!l->best || n > l->len)) {
		l->best = t;
		l->len = n;
	}
	return 0;
}

struct prepared_query *pquery_resolve(const struct store *s, const char *id_or_name, char **why)
{
	*why = NULL;
	const struct prepared_query *q = pquery_get(s, id_or_name);
	if (!q)
		q = pquery_by_name(s, id_or_name);
	if (!q) {
		struct longest l = {id_or_name, NULL, 0};
		pquery_list(s, longest_one, &l);
		q = l.best;
	}
	if (!q)
		return NULL;
	if (pquery_is_template(q))
		return pquery_render(q, id_or_name, "", why);
	struct prepared_query *c = (struct prepared_query *)q;
	pquery_ref(c);
	return c;
}
