/* services.c - the service keys and states of a Windows device, read
 * through Live Response (reg.exe and sc.exe through "create process",
 * "reg enum key" when reg.exe fails), merged with net start's list
 * (services_merge.c) and compared with the last run.  reg.exe and sc.exe
 * are run by collect.c, at once with net start.  The text the tools
 * print is parsed in services_parse.c. */
#include "services.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "util.h"
#include "xmalloc.h"

/* True when the job must stop: the worker is shutting down. */
static bool
services_stopped(struct lr *lr, const struct collect_opts *o)
{
	return lr_errkind(lr) == LR_ESTOPPED || (o->stop != NULL && *o->stop);
}

/* Adds a sentence to result's "services_error" ("; " between two). */
static void
services_error_add(json_t *result, const char *sentence)
{
	const char *had =
	    json_string_value(json_object_get(result, "services_error"));
	char *msg = had != NULL ? xasprintf("%s; %s", had, sentence)
				: xstrdup(sentence);

	json_object_set_new(result, "services_error", json_string(msg));
	free(msg);
}

/* reg.exe query /s, parsed: a new array of entries, or NULL with *err
 * set (new string). */
static json_t *
services_reg_query(
    const struct services_output *out, int64_t device_id, char **err)
{
	json_t *keys = NULL;

	if (out->err != NULL) {
		*err = xstrdup(out->err);
		return NULL;
	}
	keys = services_parse_reg(out->data, out->len, SERVICES_MAX_KEYS);
	if (json_array_size(keys) == 0) {
		*err = xasprintf(
		    "reg.exe printed no service keys (%zu bytes)", out->len);
		json_decref(keys);
		keys = NULL;
	}
	log_debug("device %" PRId64
		  ": reg.exe query printed %zu bytes, %zu keys",
	    device_id, out->len, json_array_size(keys));
	return keys;
}

/* sc.exe queryex, parsed: a new array of services, or NULL with *err set
 * (new string). */
static json_t *
services_sc_query(
    const struct services_output *out, int64_t device_id, char **err)
{
	json_t *sc = NULL;

	if (out->err != NULL) {
		*err = xstrdup(out->err);
		return NULL;
	}
	sc = services_parse_sc(out->data, out->len, SERVICES_MAX_KEYS);
	if (json_array_size(sc) == 0) {
		*err = xasprintf(
		    "sc.exe printed no services (%zu bytes)", out->len);
		json_decref(sc);
		sc = NULL;
	}
	log_debug("device %" PRId64 ": sc.exe printed %zu bytes, %zu services",
	    device_id, out->len, json_array_size(sc));
	return sc;
}

/* The names of the service keys (one "reg enum key"): a new array, or
 * NULL with *err set (new string). */
static json_t *
services_names(struct lr *lr, const char *sid, char **err)
{
	json_t *cmd = lr_command(lr, sid, "reg enum key", SERVICES_KEY, NULL);
	json_t *names;

	if (cmd == NULL) {
		*err = xstrdup(lr_error(lr));
		return NULL;
	}
	names = services_subkeys(cmd, SERVICES_MAX_KEYS);
	json_decref(cmd);
	return names;
}

/* Reads each key with its own "reg enum key", the first
 * SERVICES_ENUM_MAX of them; the others keep only their name.  Returns
 * a new array, or NULL when stopped; *nread says how many were read. */
static json_t *
services_enum_each(struct lr *lr, const char *sid, const struct collect_opts *o,
    const json_t *names, size_t *nread)
{
	json_t *keys = json_array(), *v;
	bool gone = false;
	size_t i;

	*nread = 0;
	json_array_foreach(names, i, v)
	{
		const char *key = json_string_value(v);
		json_t *cmd = NULL, *e;
		char *path;

		if (i < SERVICES_ENUM_MAX && !gone) {
			path = xasprintf("%s\\%s", SERVICES_KEY, key);
			cmd = lr_command(lr, sid, "reg enum key", path, NULL);
			free(path);
			if (cmd == NULL && services_stopped(lr, o)) {
				json_decref(keys);
				return NULL;
			}
			gone =
			    cmd == NULL && (lr_errkind(lr) == LR_EGONE ||
					       lr_errkind(lr) == LR_ESESSION);
		}
		if (cmd != NULL) {
			e = services_entry_from_enum(key, cmd);
			(*nread)++;
		} else {
			e = json_pack("{s:s}", "key", key);
			services_finish(e);
		}
		json_array_append_new(keys, e);
		json_decref(cmd);
	}
	return keys;
}

/* Marks services against the previous done run and records it. */
static void
services_baseline(const struct collect_sink *sink, int64_t device_id,
    json_t *services, json_t *result)
{
	json_t *prev = NULL;
	char at[64] = "";
	int r;

	if (sink->previous == NULL)
		return;
	r = sink->previous(sink->arg, &prev, at, sizeof(at));
	if (r == -1)
		log_warnx(
		    "device %" PRId64
		    ": the previous run's services could not be read; nothing is marked new or changed",
		    device_id);
	else if (r == 1 && services_mark(services, prev) && at[0] != '\0')
		json_object_set_new(
		    result, "services_baseline", json_string(at));
	json_decref(prev);
}

/* When reg.exe failed (reg_err): the key names from one "reg enum key",
 * then each key with its own.  *keys: a new array, or NULL with *err
 * set when the names could not be read; a sentence in result's
 * "services_error" when some keys kept only their name.  0, or -1 when
 * stopped. */
static int
services_fallback(struct lr *lr, const char *sid, const struct collect_opts *o,
    int64_t device_id, const char *reg_err, json_t **keys, char **err,
    json_t *result)
{
	json_t *names;
	size_t nread;
	char *msg;

	log_warnx("device %" PRId64
		  ": reg.exe failed (%s); reading the service keys one by one",
	    device_id, reg_err);
	*keys = NULL;
	if ((names = services_names(lr, sid, err)) == NULL)
		return services_stopped(lr, o) ? -1 : 0;
	*keys = services_enum_each(lr, sid, o, names, &nread);
	if (*keys != NULL && nread < json_array_size(names)) {
		msg = xasprintf(
		    "reg.exe could not list the service keys (%s), so they were read one by one: %zu of %zu keys have their values",
		    reg_err, nread, json_array_size(names));
		services_error_add(result, msg);
		free(msg);
	}
	json_decref(names);
	return *keys != NULL ? 0 : -1;
}

/* How many of the first n rows of merged (net start's) found a key. */
static size_t
services_keyed(const json_t *merged, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n && i < json_array_size(merged); i++)
		if (json_object_get(json_array_get(merged, i), "key") != NULL)
			k++;
	return k;
}

int
services_collect(struct lr *lr, const char *sid, const struct collect_opts *o,
    const struct collect_sink *sink, int64_t device_id, json_t *result,
    const struct services_output *reg, const struct services_output *sc_out)
{
	const char *os = json_string_value(json_object_get(result, "os"));
	json_t *netstart = json_object_get(result, "services");
	char *reg_err = NULL, *names_err = NULL, *sc_err = NULL, *msg;
	json_t *keys, *sc = NULL, *merged;
	size_t nrunning = json_array_size(netstart);
	int ret = -1;

	if (os != NULL && strncasecmp(os, "WINDOWS", 7) != 0)
		return 0; /* no registry, no reg commands */
	keys = services_reg_query(reg, device_id, &reg_err);
	if (keys == NULL && (services_stopped(lr, o) ||
				services_fallback(lr, sid, o, device_id,
				    reg_err, &keys, &names_err, result) == -1))
		goto out;
	sc = services_sc_query(sc_out, device_id, &sc_err);
	ret = 0;
	if (sc == NULL)
		log_warnx(
		    "device %" PRId64
		    ": sc.exe failed (%s); services are matched to their keys by DisplayName",
		    device_id, sc_err);
	if (keys == NULL) {
		msg = xasprintf(
		    "could not read the service keys from the registry: %s; reg.exe: %s",
		    names_err, reg_err);
		log_warnx("device %" PRId64 ": %s", device_id, msg);
		services_error_add(result, msg);
		free(msg);
		if (sc == NULL)
			goto out; /* the net start list as it is */
	}
	merged = services_merge(netstart, keys, sc);
	if (sc == NULL && nrunning > 0 &&
	    services_keyed(merged, nrunning) == 0) {
		msg = xasprintf(
		    "sc.exe could not list the services (%s), and no running service matched a service key by its DisplayName",
		    sc_err);
		services_error_add(result, msg);
		free(msg);
	}
	services_baseline(sink, device_id, merged, result);
	json_object_set_new(result, "services", merged);
	log_info(
	    "device %" PRId64
	    ": %zu service keys, %zu services from sc.exe, %zu of %zu running services matched",
	    device_id, json_array_size(keys), json_array_size(sc),
	    services_keyed(json_object_get(result, "services"), nrunning),
	    nrunning);
out:
	json_decref(keys);
	json_decref(sc);
	free(reg_err);
	free(names_err);
	free(sc_err);
	return ret;
}
