/* config_cred.c - the Carbon Black credentials, resolved as the SDKs
 * do (config_credentials() in config.h): the command line, else the
 * environment, else the first credentials file that has the profile. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ini.h"
#include "log.h"
#include "xmalloc.h"

void
cb_cred_release(struct cb_cred *c)
{
	free(c->url);
	free(c->token);
	free(c->org_key);
	free(c->proxy);
	free(c->origin);
	memset(c, 0, sizeof(*c));
}

static void
set_str(char **dst, const char *src)
{
	free(*dst);
	*dst = src && *src ? xstrdup(src) : NULL;
}

static const char *
env2(const char *a, const char *b)
{
	const char *v = getenv(a);

	if (v == NULL || *v == '\0')
		v = getenv(b);
	return v && *v ? v : NULL;
}

static void
warn_mode(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0 && (st.st_mode & 077))
		log_warnx(
		    "credentials file '%s' is readable by others (mode %03o): chmod 600 it",
		    path, (unsigned)(st.st_mode & 0777));
}

/* Fills c from profile in the ini at path.  -1 with err on a bad value. */
static int
cred_from_ini(struct cb_cred *c, const struct ini *ini, const char *path,
    const char *profile, char *err, size_t errlen)
{
	static const char *const bools[] = {
	    "ssl_verify", "ssl_verify_hostname", "ignore_system_proxy"};
	bool *dst[] = {
	    &c->ssl_verify, &c->ssl_verify_hostname, &c->ignore_system_proxy};
	const char *v;

	set_str(&c->url, ini_get(ini, profile, "url"));
	set_str(&c->token, ini_get(ini, profile, "token"));
	set_str(&c->org_key, ini_get(ini, profile, "org_key"));
	set_str(&c->proxy, ini_get(ini, profile, "proxy"));
	for (size_t i = 0; i < 3; i++) {
		if ((v = ini_get(ini, profile, bools[i])) == NULL)
			continue;
		if (ini_bool(v, dst[i]) == -1) {
			snprintf(err, errlen,
			    "%s [%s]: %s = '%s' is not true or false", path,
			    profile, bools[i], v);
			return -1;
		}
	}
	free(c->origin);
	c->origin = xasprintf("%s [%s]", path, profile);
	return 0;
}

int
config_credentials(const struct config *cfg, const char *profile,
    struct cb_cred *out, char *err, size_t errlen)
{
	const char *home = getenv("HOME"), *v;
	bool main_profile, found = false, env_used = false;
	struct ini *ini;
	char sub[256];

	if (profile == NULL)
		profile = cfg->profile;
	main_profile = strcmp(profile, cfg->profile) == 0;
	memset(out, 0, sizeof(*out));
	out->ssl_verify = out->ssl_verify_hostname = true;

	if (cfg->credentials != NULL) {
		if ((ini = ini_load(cfg->credentials, err, errlen)) == NULL)
			goto fail;
		warn_mode(cfg->credentials);
		if (ini_has_section(ini, profile)) {
			found = true;
			if (cred_from_ini(out, ini, cfg->credentials, profile,
				err, errlen) == -1) {
				ini_free(ini);
				goto fail;
			}
		}
		ini_free(ini);
	} else if (main_profile && env2("CBC_URL", "CBAPI_URL") &&
		   env2("CBC_TOKEN", "CBAPI_TOKEN")) {
		found = env_used = true;
		set_str(&out->url, env2("CBC_URL", "CBAPI_URL"));
		set_str(&out->token, env2("CBC_TOKEN", "CBAPI_TOKEN"));
		set_str(&out->org_key, env2("CBC_ORG_KEY", "CBAPI_ORG_KEY"));
		if ((v = env2("CBC_SSL_VERIFY", "CBAPI_SSL_VERIFY")) != NULL &&
		    ini_bool(v, &out->ssl_verify) == -1) {
			snprintf(err, errlen,
			    "CBC_SSL_VERIFY='%s' is not true or false", v);
			goto fail;
		}
		out->origin = xstrdup("environment (CBC_URL, CBC_TOKEN)");
	} else {
		static const char *const dirs[] = {
		    "./.carbonblack", "~", "/etc/carbonblack"};
		static const char *const files[] = {
		    "credentials.cbc", "credentials.psc"};

		for (size_t f = 0; f < 2 && !found; f++) {
			for (size_t d = 0; d < 3 && !found; d++) {
				char *path;

				if (dirs[d][0] == '~') {
					if (home == NULL)
						continue;
					path = xasprintf("%s/.carbonblack/%s",
					    home, files[f]);
				} else {
					path = xasprintf(
					    "%s/%s", dirs[d], files[f]);
				}
				if (access(path, F_OK) != 0) {
					free(path);
					continue;
				}
				if ((ini = ini_load(path, sub, sizeof(sub))) ==
				    NULL) {
					log_warnx(
					    "skipping credentials file: %s",
					    sub);
					free(path);
					continue;
				}
				if (ini_has_section(ini, profile)) {
					found = true;
					warn_mode(path);
					if (cred_from_ini(out, ini, path,
						profile, err, errlen) == -1) {
						ini_free(ini);
						free(path);
						goto fail;
					}
				}
				ini_free(ini);
				free(path);
			}
		}
	}
	(void)env_used;

	if (main_profile) {
		if (cfg->cburl != NULL)
			set_str(&out->url, cfg->cburl);
		if (cfg->apitoken != NULL) {
			set_str(&out->token, cfg->apitoken);
			log_warnx(
			    "--apitoken is visible to every user in ps: prefer a credentials file or CBC_TOKEN");
		}
		if (cfg->org_key != NULL)
			set_str(&out->org_key, cfg->org_key);
		if (cfg->no_ssl_verify)
			out->ssl_verify = out->ssl_verify_hostname = false;
		if (!found && (cfg->cburl || cfg->apitoken)) {
			found = true;
			out->origin = xstrdup("command line");
		}
	}
	if (!found) {
		if (cfg->credentials != NULL)
			snprintf(err, errlen, "%s: no [%s] profile",
			    cfg->credentials, profile);
		else
			snprintf(err, errlen,
			    "no credentials for profile '%s': give --cburl and --apitoken, set CBC_URL and CBC_TOKEN, or add [%s] to ~/.carbonblack/credentials.cbc",
			    profile, profile);
		goto fail;
	}
	if (out->url == NULL || out->token == NULL) {
		snprintf(err, errlen, "%s: missing '%s'", out->origin,
		    out->url == NULL ? "url" : "token");
		goto fail;
	}
	if (strncmp(out->url, "https://", 8) != 0 &&
	    strncmp(out->url, "http://", 7) != 0) {
		snprintf(err, errlen, "%s: url '%s' must start with https://",
		    out->origin, out->url);
		goto fail;
	}
	if (strchr(out->token, '/') == NULL || strlen(out->token) < 8 ||
	    strpbrk(out->token, " \t\r\n") != NULL) {
		snprintf(err, errlen, "%s: token must look like SECRET/ID",
		    out->origin);
		goto fail;
	}
	/* Trailing slashes would double up in request paths. */
	for (size_t n = strlen(out->url); n > 8 && out->url[n - 1] == '/'; n--)
		out->url[n - 1] = '\0';
	log_add_secret(out->token);
	return 0;
fail:
	cb_cred_release(out);
	return -1;
}

enum config_api
config_api_for(const struct config *cfg, const struct cb_cred *cred)
{
	if (cfg->api != CONFIG_API_AUTO)
		return cfg->api;
	return cred != NULL && cred->org_key != NULL ? CONFIG_API_V6
						     : CONFIG_API_V3;
}
