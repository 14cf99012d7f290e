/* services_merge.c - one list of a device's services from net start's
 * running names, the registry's service keys and sc.exe's states, and
 * the marks against the previous run. */
#include "services.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "services_int.h"
#include "util.h"
#include "xmalloc.h"

bool
services_indirect(const char *display)
{
	return display != NULL && display[0] == '@';
}

/* A key of the registry or of sc's list, for sorting by name. */
struct services_ref {
	const char *key;
	const json_t *entry; /* the registry's, or NULL: only sc lists it */
	const json_t *sc;    /* sc's entry for the key, or NULL */
	bool used;           /* a net start name took it */
};

static int
services_ref_cmp(const void *a, const void *b)
{
	const struct services_ref *x = a, *y = b;
	int c = strcasecmp(x->key, y->key);

	return c != 0 ? c : strcmp(x->key, y->key);
}

/* What the merge looks things up in. */
struct services_index {
	struct services_ref *refs;
	size_t n;
	json_t *by_key;  /* folded key -> index into refs */
	json_t *sc_name; /* folded sc DISPLAY_NAME -> sc entry (borrowed) */
};

/* Adds a ref; used while building. */
static void
services_add_ref(struct services_index *x, const char *key, const json_t *entry,
    const json_t *sc)
{
	x->refs[x->n++] = (struct services_ref){key, entry, sc, false};
}

/* Indexes keys and sc (both borrowed, either NULL): one ref per key, with
 * sc's entry for it, and one per service sc lists with a state that the
 * registry did not give. */
static void
services_index_build(
    struct services_index *x, const json_t *keys, const json_t *sc)
{
	json_t *sc_key = json_object(), *e;
	size_t i, cap = json_array_size(keys) + json_array_size(sc);
	char *fold;

	x->refs = xcalloc(cap ? cap : 1, sizeof(*x->refs));
	x->n = 0;
	x->by_key = json_object();
	x->sc_name = json_object();
	json_array_foreach(sc, i, e)
	{
		const char *key = json_string_value(json_object_get(e, "key"));
		const char *d =
		    json_string_value(json_object_get(e, "display_name"));

		if (key == NULL)
			continue;
		fold = services_fold(key);
		if (json_object_get(sc_key, fold) == NULL)
			json_object_set(sc_key, fold, e);
		free(fold);
		fold = services_fold(d != NULL ? d : key);
		if (json_object_get(x->sc_name, fold) == NULL)
			json_object_set(x->sc_name, fold, e);
		free(fold);
	}
	json_array_foreach(keys, i, e)
	{
		const char *key = json_string_value(json_object_get(e, "key"));

		if (key == NULL)
			continue;
		fold = services_fold(key);
		if (json_object_get(x->by_key, fold) == NULL) {
			json_object_set_new(x->by_key, fold, json_true());
			services_add_ref(
			    x, key, e, json_object_get(sc_key, fold));
		}
		free(fold);
	}
	json_array_foreach(sc, i, e)
	{
		const char *key = json_string_value(json_object_get(e, "key"));

		if (key == NULL || json_object_get(e, "state") == NULL)
			continue;
		fold = services_fold(key);
		if (json_object_get(x->by_key, fold) == NULL &&
		    json_object_get(sc_key, fold) == e) {
			json_object_set_new(x->by_key, fold, json_true());
			services_add_ref(x, key, NULL, e);
		}
		free(fold);
	}
	qsort(x->refs, x->n, sizeof(*x->refs), services_ref_cmp);
	for (i = 0; i < x->n; i++) {
		fold = services_fold(x->refs[i].key);
		json_object_set_new(
		    x->by_key, fold, json_integer((json_int_t)i));
		free(fold);
	}
	json_decref(sc_key);
}

static void
services_index_free(struct services_index *x)
{
	free(x->refs);
	json_decref(x->by_key);
	json_decref(x->sc_name);
}

/* The unused ref that net start's name stands for: the key sc names
 * with that display name, else the key whose own DisplayName it is
 * (compared without case; an indirect one never matches).  NULL if
 * none. */
static struct services_ref *
services_match(struct services_index *x, const char *name)
{
	char *fold = services_fold(name);
	json_t *sc = json_object_get(x->sc_name, fold), *at = NULL;
	size_t k;

	free(fold);
	if (sc != NULL) {
		fold = services_fold(
		    json_string_value(json_object_get(sc, "key")));
		at = json_object_get(x->by_key, fold);
		free(fold);
		if (json_is_integer(at) &&
		    !x->refs[json_integer_value(at)].used)
			return &x->refs[json_integer_value(at)];
	}
	for (k = 0; k < x->n; k++) {
		const char *d = json_string_value(
		    json_object_get(x->refs[k].entry, "display_name"));

		if (!x->refs[k].used && d != NULL && !services_indirect(d) &&
		    util_strieq(d, name))
			return &x->refs[k];
	}
	return NULL;
}

/* The merged entry of ref r (its key's values, sc's resolved display
 * name when the registry's is indirect or missing, the registry's kept
 * as display_name_raw), named name, or when name is NULL by its display
 * name, else its key. */
static json_t *
services_row(const char *name, const struct services_ref *r)
{
	static const char *const fields[] = {"key", "display_name",
	    "image_path", "start_type", "account", "type"};
	const char *d =
	    json_string_value(json_object_get(r->entry, "display_name"));
	const char *resolved =
	    json_string_value(json_object_get(r->sc, "display_name"));
	json_t *o = json_object(), *v;

	json_object_set_new(o, "name", json_null()); /* first in the row */
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if ((v = json_object_get(r->entry, fields[i])) != NULL)
			json_object_set(o, fields[i], v);
	if (r->entry == NULL) {
		json_object_set_new(o, "key", json_string(r->key));
		if ((v = json_object_get(r->sc, "type")) != NULL)
			json_object_set(o, "type", v);
	}
	if (resolved != NULL && *resolved != '\0' &&
	    (d == NULL || *d == '\0' || services_indirect(d))) {
		json_object_set_new(o, "display_name", json_string(resolved));
		if (d != NULL && *d != '\0' && strcmp(d, resolved) != 0)
			json_object_set_new(
			    o, "display_name_raw", json_string(d));
	}
	d = json_string_value(json_object_get(o, "display_name"));
	if (name == NULL)
		name = d != NULL && *d != '\0' ? d : r->key;
	json_object_set_new(o, "name", json_string(name));
	return o;
}

/* Sets row's "running" (and "state" when it is neither running nor
 * stopped, "pid" when sc gave one) from sc's entry; without one, to
 * fallback: 1 true, 0 false, -1 left out (unknown). */
static void
services_state(json_t *row, const json_t *sc, int fallback)
{
	const char *st = json_string_value(json_object_get(sc, "state"));
	json_t *pid = json_object_get(sc, "pid");
	bool running;

	if (st == NULL) {
		if (fallback >= 0)
			json_object_set_new(
			    row, "running", json_boolean(fallback));
		return;
	}
	running = strcmp(st, "stopped") != 0;
	json_object_set_new(row, "running", json_boolean(running));
	if (running && strcmp(st, "running") != 0)
		json_object_set_new(row, "state", json_string(st));
	if (running && pid != NULL)
		json_object_set(row, "pid", pid);
}

json_t *
services_merge(const json_t *netstart, const json_t *keys, const json_t *sc)
{
	struct services_index x;
	size_t i, k, unmatched = 0;
	json_t *out = json_array(), *s, *row;

	services_index_build(&x, keys, sc);
	json_array_foreach(netstart, i, s)
	{
		const char *name =
		    json_string_value(json_object_get(s, "name"));
		struct services_ref *m =
		    name != NULL ? services_match(&x, name) : NULL;

		if (m != NULL) {
			m->used = true;
			row = services_row(name, m);
			/* sc ran after net start: its state is the newer */
			services_state(row, m->sc, 1);
		} else {
			row = json_deep_copy(s);
			json_object_set_new(row, "running", json_true());
			unmatched++;
		}
		json_array_append_new(out, row);
	}
	for (k = 0; k < x.n; k++) {
		const char *d = json_string_value(
		    json_object_get(x.refs[k].entry, "display_name"));

		if (x.refs[k].used)
			continue;
		row = services_row(NULL, &x.refs[k]);
		/* Without sc, an indirect name may be one of the running
		 * services net start named but no key claimed: unknown. */
		services_state(row, x.refs[k].sc,
		    !services_indirect(d) || unmatched == 0 ? 0 : -1);
		json_array_append_new(out, row);
	}
	services_index_free(&x);
	return out;
}

bool
services_mark(json_t *services, const json_t *prev)
{
	json_t *index = json_object(), *e;
	size_t i;
	bool usable = false;

	json_array_foreach(prev, i, e)
	{
		const char *key = json_string_value(json_object_get(e, "key"));
		char *fold;

		if (key == NULL)
			continue;
		fold = services_fold(key);
		json_object_set(index, fold, e);
		free(fold);
		/* only what the registry gave has a start type */
		usable = usable || json_object_get(e, "start_type") != NULL;
	}
	json_array_foreach(usable ? services : NULL, i, e)
	{
		const char *key = json_string_value(json_object_get(e, "key"));
		const char *now, *was;
		json_t *p;
		char *fold;

		if (key == NULL)
			continue;
		fold = services_fold(key);
		p = json_object_get(index, fold);
		free(fold);
		if (p == NULL) {
			json_object_set_new(e, "new", json_true());
			continue;
		}
		if (json_object_get(e, "start_type") == NULL)
			continue; /* sc's alone: no ImagePath to compare */
		now = json_string_value(json_object_get(e, "image_path"));
		was = json_string_value(json_object_get(p, "image_path"));
		if (!util_strieq(now ? now : "", was ? was : ""))
			json_object_set_new(
			    e, "image_path_was", json_string(was ? was : ""));
	}
	json_decref(index);
	return usable;
}
