/* config_cred.c - the Carbon Black credentials, resolved as the SDKs
 * do (config_credentials() in config.h): the command line, else the
 * environment, else the first credentials file that has the profile.
 * Also the Redis and sentinel passwords (config_redis_auth()). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_int.h"
#include "ini.h"
#include "log.h"
#include "rconn.h"
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

/* Reads the first line of a password file named by --flag into buf.  A
 * file every user may read is refused: the password would not be one.
 * 0, or -1 with err. */
static int
read_password_file(const char *flag, const char *path, char *buf, size_t size,
    char *err, size_t errlen)
{
	struct stat st;
	FILE *f;
	size_t n;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(
		    err, errlen, "--%s: %s: %s", flag, path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 004)) {
		snprintf(err, errlen,
		    "--%s: '%s' is readable by every user (mode %03o): chmod 600 it (or 640 for the daemons' group)",
		    flag, path, (unsigned)(st.st_mode & 0777));
		fclose(f);
		return -1;
	}
	if (fgets(buf, (int)size, f) == NULL)
		buf[0] = '\0';
	n = strlen(buf);
	if (n == size - 1 && buf[n - 1] != '\n') {
		int c = fgetc(f);

		if (c != EOF && c != '\n' && c != '\r') {
			snprintf(err, errlen,
			    "--%s: '%s': the password is longer than %zu bytes",
			    flag, path, size - 1);
			fclose(f);
			return -1;
		}
	}
	n = strcspn(buf, "\r\n");
	fclose(f);
	buf[n] = '\0';
	if (buf[0] == '\0') {
		snprintf(err, errlen, "--%s: '%s': the first line is empty",
		    flag, path);
		return -1;
	}
	return 0;
}

/* One password: from the file named by --flag, else env, else none. */
static int
password_from(const char *flag, const char *path, const char *env, char *buf,
    size_t size, char *err, size_t errlen)
{
	const char *v;

	buf[0] = '\0';
	if (path != NULL)
		return read_password_file(flag, path, buf, size, err, errlen);
	if ((v = getenv(env)) == NULL || *v == '\0')
		return 0;
	if (strlen(v) >= size || strpbrk(v, "\r\n") != NULL) {
		snprintf(err, errlen,
		    "%s: longer than %zu bytes or more than a line", env,
		    size - 1);
		return -1;
	}
	snprintf(buf, size, "%s", v);
	return 0;
}

int
config_redis_auth(const struct config *cfg, char *err, size_t errlen)
{
	char pw[RCONN_SECRET_MAX], spw[RCONN_SECRET_MAX];
	struct rconn_addr a;
	char sub[256];
	int ret = -1;

	if (rconn_url_has_password(cfg->redis_url)) {
		/* not echoed: the URL holds the password */
		snprintf(err, errlen,
		    "--redis: a password in the URL is visible to every user in ps: give it in --redis-password-file FILE or LRFLOW_REDIS_PASSWORD");
		return -1;
	}
	if (password_from("redis-password-file", cfg->redis_password_file,
		"LRFLOW_REDIS_PASSWORD", pw, sizeof(pw), err, errlen) == -1 ||
	    password_from("sentinel-password-file", cfg->sentinel_password_file,
		"LRFLOW_SENTINEL_PASSWORD", spw, sizeof(spw), err,
		errlen) == -1)
		goto out;
	if (cfg->sentinel_user != NULL && spw[0] == '\0') {
		snprintf(err, errlen,
		    "--sentinel-user needs a password: --sentinel-password-file FILE or LRFLOW_SENTINEL_PASSWORD");
		goto out;
	}
	/* A bad URL is reported where it is used; a user without a
	 * password is a mistake worth stopping for here. */
	if (rconn_parse_url(cfg->redis_url, &a, sub, sizeof(sub)) == 0 &&
	    a.user[0] != '\0' && pw[0] == '\0') {
		snprintf(err, errlen,
		    "--redis names user '%s' but no password: give --redis-password-file FILE or LRFLOW_REDIS_PASSWORD",
		    a.user);
		goto out;
	}
	if (rconn_set_passwords(pw, cfg->sentinel_user, spw) == -1) {
		snprintf(err, errlen, "--sentinel-user: longer than %d bytes",
		    RCONN_USER_MAX - 1);
		goto out;
	}
	log_add_secret(pw);
	log_add_secret(spw);
	ret = 0;
out:
	explicit_bzero(pw, sizeof(pw));
	explicit_bzero(spw, sizeof(spw));
	explicit_bzero(&a, sizeof(a));
	return ret;
}
