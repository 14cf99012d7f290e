/* test_config.c - flags, defaults, INI credentials files and their
 * precedence (command line > environment > file). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "ini.h"
#include "../t.h"

static char dir[128];

static void
write_file(const char *name, const char *text, int mode)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	chmod(path, (mode_t)mode);
}

static int
parse(struct config *cfg, enum config_daemon d, const char *const *args,
    char *err, size_t errlen)
{
	char *argv[32];
	int argc = 0;

	argv[argc++] = (char *)"prog";
	for (; *args != NULL; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	config_init(cfg, d);
	return config_parse(cfg, argc, argv, err, errlen);
}

static void
clear_env(void)
{
	static const char *const vars[] = {"CBC_URL", "CBC_TOKEN",
	    "CBC_ORG_KEY", "CBC_SSL_VERIFY", "CBAPI_URL", "CBAPI_TOKEN",
	    "CBAPI_ORG_KEY", "CBAPI_SSL_VERIFY", "LRFLOW_REDIS",
	    "LRFLOW_VIEWER_AUTH"};

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
}

static int
test_defaults(void)
{
	struct config cfg;
	char err[256];
	const char *args[] = {NULL};

	CHECK(parse(&cfg, CONFIG_WORKER, args, err, sizeof(err)) == 0);
	CHECK(strcmp(cfg.redis_url, "redis://127.0.0.1:6379/0") == 0);
	CHECK(strcmp(cfg.prefix, "lr") == 0);
	CHECK(strcmp(cfg.profile, "default") == 0);
	CHECK(cfg.concurrency == 5);
	CHECK(cfg.checkin_timeout_s == 360);
	CHECK(cfg.session_limit == 80);
	CHECK(cfg.api == CONFIG_API_AUTO);
	config_release(&cfg);

	CHECK(parse(&cfg, CONFIG_POLLER, args, err, sizeof(err)) == 0);
	CHECK(cfg.poll_s == 30);
	CHECK(strcmp(cfg.siemprofile, "siem") == 0);
	CHECK(cfg.source == CONFIG_SOURCE_AUTO); /* settled by the org key */
	CHECK(cfg.lookback_s == 600 && cfg.alert_lag_s == 60);
	config_release(&cfg);

	CHECK(parse(&cfg, CONFIG_VIEWER, args, err, sizeof(err)) == 0);
	CHECK(strcmp(cfg.listen, "127.0.0.1:7982") == 0);
	CHECK(cfg.auth == NULL);
	config_release(&cfg);
	return 0;
}

/* --timeline-window: a worker flag, 1800 s by default, 0 to 7 days. */
static int
test_timeline_window(void)
{
	struct config cfg;
	char err[256];
	const char *none[] = {NULL};
	const char *zero[] = {"--timeline-window", "0", NULL};
	const char *week[] = {"--timeline-window", "604800", NULL};
	const char *over[] = {"--timeline-window", "604801", NULL};
	const char *neg[] = {"--timeline-window", "-1", NULL};

	CHECK(parse(&cfg, CONFIG_WORKER, none, err, sizeof(err)) == 0);
	CHECK(cfg.timeline_window_s == 1800);
	config_release(&cfg);
	CHECK(parse(&cfg, CONFIG_WORKER, zero, err, sizeof(err)) == 0);
	CHECK(cfg.timeline_window_s == 0);
	config_release(&cfg);
	CHECK(parse(&cfg, CONFIG_WORKER, week, err, sizeof(err)) == 0);
	CHECK(cfg.timeline_window_s == 604800);
	config_release(&cfg);
	CHECK(parse(&cfg, CONFIG_WORKER, over, err, sizeof(err)) == -1);
	CHECK(strstr(err, "timeline-window") != NULL);
	config_release(&cfg);
	CHECK(parse(&cfg, CONFIG_WORKER, neg, err, sizeof(err)) == -1);
	config_release(&cfg);
	/* Not a poller flag. */
	CHECK(parse(&cfg, CONFIG_POLLER, zero, err, sizeof(err)) == -1);
	config_release(&cfg);
	return 0;
}

static int
test_seed_flags(void)
{
	struct config cfg;
	char err[256];
	const char *args[] = {"--synthetic", "21212", "--poll", "1",
	    "--profile", "lrprofile", "--verbose", "--siemprofile", "mysiem",
	    "--cburl", "https://api-prod05.conferdeploy.net", "--apitoken",
	    "SYDCCYZ86BAKGQD45XRJYR6W/SOAP56ZKZ7", "--no-ssl-verify", NULL};

	CHECK(parse(&cfg, CONFIG_POLLER, args, err, sizeof(err)) == 0);
	CHECK(cfg.synthetic == 21212);
	CHECK(cfg.source == CONFIG_SOURCE_SYNTHETIC);
	CHECK(cfg.poll_s == 1);
	CHECK(strcmp(cfg.profile, "lrprofile") == 0);
	CHECK(strcmp(cfg.siemprofile, "mysiem") == 0);
	CHECK(cfg.verbose == 1);
	CHECK(cfg.no_ssl_verify);
	config_release(&cfg);
	return 0;
}

static int
test_bad_flags(void)
{
	struct config cfg;
	char err[256];
	const char *a1[] = {"--synthetic", "21a", NULL};
	const char *a2[] = {"--poll", "0", NULL};
	const char *a3[] = {"--bogus", NULL};
	const char *a4[] = {"--concurrency", NULL};
	const char *a5[] = {"--synthetic", "1", NULL}; /* poller-only flag */
	const char *a6[] = {"--api", "v5", NULL};
	const char *a7[] = {"--redis", "http://x", NULL};
	const char *a8[] = {"stray", NULL};

	CHECK(parse(&cfg, CONFIG_POLLER, a1, err, sizeof(err)) == -1);
	CHECK(strstr(err, "not a device id") != NULL);
	config_release(&cfg);
	CHECK(parse(&cfg, CONFIG_POLLER, a2, err, sizeof(err)) == -1);
	CHECK(strstr(err, "--poll") != NULL);
	config_release(&cfg);
	CHECK(parse(&cfg, CONFIG_POLLER, a3, err, sizeof(err)) == -1);
	CHECK(strstr(err, "--bogus") != NULL);
	config_release(&cfg);
	CHECK(parse(&cfg, CONFIG_WORKER, a4, err, sizeof(err)) == -1);
	CHECK(strstr(err, "needs a value") != NULL);
	config_release(&cfg);
	CHECK(parse(&cfg, CONFIG_WORKER, a5, err, sizeof(err)) == -1);
	config_release(&cfg);
	CHECK(parse(&cfg, CONFIG_WORKER, a6, err, sizeof(err)) == -1);
	CHECK(strstr(err, "v6|v3") != NULL);
	config_release(&cfg);
	/* The URL itself is checked where it is used (rconn_parse_url). */
	CHECK(parse(&cfg, CONFIG_WORKER, a7, err, sizeof(err)) == 0);
	config_release(&cfg);
	CHECK(parse(&cfg, CONFIG_WORKER, a8, err, sizeof(err)) == -1);
	CHECK(strstr(err, "stray") != NULL);
	config_release(&cfg);
	return 0;
}

static int
test_device_lists(void)
{
	struct config cfg;
	char err[256];
	int64_t ids[4];
	const char *a1[] = {
	    "--devices", "1, 22,333", "--exclude-devices", "9", NULL};
	const char *a2[] = {"--devices", "1,x", NULL};
	const char *a3[] = {"--exclude-devices", "1,,2", NULL};

	CHECK(parse(&cfg, CONFIG_POLLER, a1, err, sizeof(err)) == 0);
	CHECK(config_id_list(cfg.devices, ids, 4) == 3);
	CHECK(ids[0] == 1 && ids[1] == 22 && ids[2] == 333);
	CHECK(config_id_list(cfg.exclude_devices, ids, 4) == 1 && ids[0] == 9);
	CHECK(config_id_list(NULL, ids, 4) == 0);
	config_release(&cfg);
	CHECK(parse(&cfg, CONFIG_POLLER, a2, err, sizeof(err)) == -1);
	CHECK(strstr(err, "device ids") != NULL);
	config_release(&cfg);
	CHECK(parse(&cfg, CONFIG_POLLER, a3, err, sizeof(err)) == -1);
	config_release(&cfg);
	return 0;
}

static int
test_viewer_refuses_open_listen(void)
{
	struct config cfg;
	char err[300];
	const char *a1[] = {"--listen", "0.0.0.0:7982", NULL};
	const char *a2[] = {
	    "--listen", "0.0.0.0:7982", "--insecure-no-auth", NULL};
	const char *a3[] = {
	    "--listen", "0.0.0.0:7982", "--auth-file", NULL, NULL};
	char path[256];

	clear_env();
	CHECK(parse(&cfg, CONFIG_VIEWER, a1, err, sizeof(err)) == -1);
	CHECK(strstr(err, "not a loopback address") != NULL);
	config_release(&cfg);
	CHECK(parse(&cfg, CONFIG_VIEWER, a2, err, sizeof(err)) == 0);
	config_release(&cfg);
	write_file("auth", "analyst:s3cret-pass\n", 0600);
	snprintf(path, sizeof(path), "%s/auth", dir);
	a3[3] = path;
	CHECK(parse(&cfg, CONFIG_VIEWER, a3, err, sizeof(err)) == 0);
	CHECK(strcmp(cfg.auth, "analyst:s3cret-pass") == 0);
	config_release(&cfg);
	setenv("LRFLOW_VIEWER_AUTH", "nocolon", 1);
	CHECK(parse(&cfg, CONFIG_VIEWER, a1, err, sizeof(err)) == -1);
	CHECK(strstr(err, "user:password") != NULL);
	config_release(&cfg);
	unsetenv("LRFLOW_VIEWER_AUTH");
	return 0;
}

/* Loopback means the address, not a prefix of the string. */
static int
test_viewer_loopback_is_parsed(void)
{
	static const char *const yes[] = {
	    "127.0.0.1:7982", "127.1.2.3:1", "[::1]:7982", "localhost:7982"};
	static const char *const no[] = {"127.0.0.1.evil.example:7982",
	    "0.0.0.0:7982", "[::]:7982", "10.0.0.1:7982", ":7982",
	    "127.0.0.1evil:80", "[::1:7982"};
	struct config cfg;
	char err[300];
	const char *a[] = {"--listen", NULL, NULL};

	clear_env();
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		a[1] = yes[i];
		CHECK(parse(&cfg, CONFIG_VIEWER, a, err, sizeof(err)) == 0);
		config_release(&cfg);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		a[1] = no[i];
		CHECK(parse(&cfg, CONFIG_VIEWER, a, err, sizeof(err)) == -1);
		config_release(&cfg);
	}
	return 0;
}

static int
test_ini_parsing(void)
{
	char err[200];
	struct ini *ini;
	bool b;

	ini = ini_parse(
	    "\xef\xbb\xbf# comment\r\n[default]\r\nurl = https://x\r\n"
	    "Token=a/b\n; other\n[siem]\nurl=https://y\n",
	    err, sizeof(err));
	CHECK(ini != NULL);
	CHECK(strcmp(ini_get(ini, "default", "url"), "https://x") == 0);
	CHECK(strcmp(ini_get(ini, "default", "token"), "a/b") == 0);
	CHECK(ini_get(ini, "siem", "token") == NULL);
	CHECK(ini_has_section(ini, "siem"));
	CHECK(!ini_has_section(ini, "Default"));
	ini_free(ini);

	CHECK(ini_parse("url=https://x\n", err, sizeof(err)) == NULL);
	CHECK(strstr(err, "outside") != NULL);
	CHECK(ini_parse("[default\nurl=x\n", err, sizeof(err)) == NULL);
	CHECK(strstr(err, "line 1") != NULL);
	CHECK(ini_parse("[default]\njust words\n", err, sizeof(err)) == NULL);
	CHECK(strstr(err, "line 2") != NULL);
	CHECK(ini_parse("[default]\n=value\n", err, sizeof(err)) == NULL);

	CHECK(ini_bool("Yes", &b) == 0 && b);
	CHECK(ini_bool("off", &b) == 0 && !b);
	CHECK(ini_bool("0", &b) == 0 && !b);
	CHECK(ini_bool("maybe", &b) == -1);
	write_file("binary", "[x]\n", 0600);
	{
		char path[256];
		FILE *f;

		snprintf(path, sizeof(path), "%s/binary", dir);
		f = fopen(path, "a");
		fputc(0, f);
		fclose(f);
		CHECK(ini_load(path, err, sizeof(err)) == NULL);
		CHECK(strstr(err, "NUL") != NULL);
		snprintf(path, sizeof(path), "%s/absent", dir);
		CHECK(ini_load(path, err, sizeof(err)) == NULL);
		CHECK(strstr(err, "No such file") != NULL);
	}
	return 0;
}

/* Credentials in ./.carbonblack/ (cwd is the temp dir). */
static int
test_credentials_file_search(void)
{
	struct config cfg;
	struct cb_cred c;
	char err[400];
	const char *args[] = {NULL};

	clear_env();
	CHECK(chdir(dir) == 0);
	setenv("HOME", dir, 1);
	mkdir(".carbonblack", 0700);
	write_file(".carbonblack/credentials.psc",
	    "[default]\nurl=https://api-prod05.conferdeploy.net/\n"
	    "token=PSCSECRET0001/PSCID\n[siem]\nurl=https://siem\ntoken=SIEMSECRET01/ID\n",
	    0600);
	CHECK(parse(&cfg, CONFIG_WORKER, args, err, sizeof(err)) == 0);
	CHECK(config_credentials(&cfg, NULL, &c, err, sizeof(err)) == 0);
	CHECK(strcmp(c.url, "https://api-prod05.conferdeploy.net") == 0);
	CHECK(strcmp(c.token, "PSCSECRET0001/PSCID") == 0);
	CHECK(c.org_key == NULL);
	CHECK(config_api_for(&cfg, &c) == CONFIG_API_V3);
	cb_cred_release(&c);
	CHECK(config_credentials(&cfg, "siem", &c, err, sizeof(err)) == 0);
	CHECK(strcmp(c.token, "SIEMSECRET01/ID") == 0);
	cb_cred_release(&c);

	/* credentials.cbc comes before credentials.psc. */
	write_file(".carbonblack/credentials.cbc",
	    "[default]\nurl=https://defense-prod05.conferdeploy.net\n"
	    "token=CBCSECRET0001/CBCID\norg_key=ABCD1234\nssl_verify=false\n",
	    0600);
	CHECK(config_credentials(&cfg, NULL, &c, err, sizeof(err)) == 0);
	CHECK(strcmp(c.token, "CBCSECRET0001/CBCID") == 0);
	CHECK(strcmp(c.org_key, "ABCD1234") == 0);
	CHECK(!c.ssl_verify);
	CHECK(config_api_for(&cfg, &c) == CONFIG_API_V6);
	cb_cred_release(&c);

	/* A profile nobody has: one clear line. */
	CHECK(config_credentials(&cfg, "nope", &c, err, sizeof(err)) == -1);
	CHECK(strstr(err, "no credentials for profile 'nope'") != NULL);
	config_release(&cfg);
	unlink(".carbonblack/credentials.cbc");
	return 0;
}

static int
test_credentials_precedence(void)
{
	struct config cfg;
	struct cb_cred c;
	char err[400];
	const char *args[] = {"--cburl", "https://flag.example", NULL};
	const char *args2[] = {"--apitoken", "FLAGSECRET01/FLAGID", NULL};

	/* File only (from the previous test's ./.carbonblack). */
	clear_env();
	/* Environment beats the file. */
	setenv("CBC_URL", "https://env.example", 1);
	setenv("CBC_TOKEN", "ENVSECRET0001/ENVID", 1);
	setenv("CBAPI_ORG_KEY", "OLDKEY01", 1);
	CHECK(parse(&cfg, CONFIG_WORKER, args, err, sizeof(err)) == 0);
	CHECK(config_credentials(&cfg, NULL, &c, err, sizeof(err)) == 0);
	/* The command line beats the environment, field by field. */
	CHECK(strcmp(c.url, "https://flag.example") == 0);
	CHECK(strcmp(c.token, "ENVSECRET0001/ENVID") == 0);
	CHECK(strcmp(c.org_key, "OLDKEY01") == 0);
	cb_cred_release(&c);
	config_release(&cfg);

	/* CBC_* beats CBAPI_*. */
	setenv("CBC_ORG_KEY", "NEWKEY01", 1);
	setenv("CBC_SSL_VERIFY", "no", 1);
	CHECK(parse(&cfg, CONFIG_WORKER, args2, err, sizeof(err)) == 0);
	CHECK(config_credentials(&cfg, NULL, &c, err, sizeof(err)) == 0);
	CHECK(strcmp(c.url, "https://env.example") == 0);
	CHECK(strcmp(c.token, "FLAGSECRET01/FLAGID") == 0);
	CHECK(strcmp(c.org_key, "NEWKEY01") == 0);
	CHECK(!c.ssl_verify);
	cb_cred_release(&c);
	config_release(&cfg);

	/* The legacy CBAPI_* names alone are enough. */
	clear_env();
	setenv("CBAPI_URL", "https://old.example", 1);
	setenv("CBAPI_TOKEN", "OLDSECRET0001/OLDID", 1);
	{
		const char *none[] = {NULL};

		CHECK(parse(&cfg, CONFIG_WORKER, none, err, sizeof(err)) == 0);
		CHECK(
		    config_credentials(&cfg, NULL, &c, err, sizeof(err)) == 0);
		CHECK(strcmp(c.url, "https://old.example") == 0);
		CHECK(strcmp(c.token, "OLDSECRET0001/OLDID") == 0);
		CHECK(strstr(c.origin, "environment") != NULL);
		cb_cred_release(&c);
		config_release(&cfg);
	}
	setenv("CBC_SSL_VERIFY", "sometimes", 1);
	CHECK(parse(&cfg, CONFIG_WORKER, args, err, sizeof(err)) == 0);
	CHECK(config_credentials(&cfg, NULL, &c, err, sizeof(err)) == -1);
	CHECK(strstr(err, "CBC_SSL_VERIFY") != NULL);
	config_release(&cfg);
	clear_env();
	return 0;
}

static int
test_credentials_bad_files(void)
{
	struct config cfg;
	struct cb_cred c;
	char err[400], path[256];
	const char *args[] = {"--credentials", path, NULL};

	clear_env();
	snprintf(path, sizeof(path), "%s/creds", dir);
	write_file("creds", "[default]\nurl=https://x.example\n", 0600);
	CHECK(parse(&cfg, CONFIG_WORKER, args, err, sizeof(err)) == 0);
	CHECK(config_credentials(&cfg, NULL, &c, err, sizeof(err)) == -1);
	CHECK(strstr(err, "missing 'token'") != NULL);

	write_file("creds", "[default]\ntoken=ABCDEFGH/ID\n", 0600);
	CHECK(config_credentials(&cfg, NULL, &c, err, sizeof(err)) == -1);
	CHECK(strstr(err, "missing 'url'") != NULL);

	write_file(
	    "creds", "[default]\nurl=ftp://x\ntoken=ABCDEFGH/ID\n", 0600);
	CHECK(config_credentials(&cfg, NULL, &c, err, sizeof(err)) == -1);
	CHECK(strstr(err, "https://") != NULL);

	write_file(
	    "creds", "[default]\nurl=https://x\ntoken=nosecretid\n", 0600);
	CHECK(config_credentials(&cfg, NULL, &c, err, sizeof(err)) == -1);
	CHECK(strstr(err, "SECRET/ID") != NULL);

	write_file("creds",
	    "[default]\nurl=https://x\ntoken=ABCDEFGH/ID\nssl_verify=perhaps\n",
	    0600);
	CHECK(config_credentials(&cfg, NULL, &c, err, sizeof(err)) == -1);
	CHECK(strstr(err, "ssl_verify") != NULL);

	write_file(
	    "creds", "[other]\nurl=https://x\ntoken=ABCDEFGH/ID\n", 0600);
	CHECK(config_credentials(&cfg, NULL, &c, err, sizeof(err)) == -1);
	CHECK(strstr(err, "no [default] profile") != NULL);

	write_file("creds", "garbage line\n", 0600);
	CHECK(config_credentials(&cfg, NULL, &c, err, sizeof(err)) == -1);
	CHECK(strstr(err, "line 1") != NULL);

	/* Every key the SDKs' files use. */
	write_file("creds",
	    "[default]\nurl=https://x\ntoken=ABCDEFGH/ID\norg_key=ORG1\n"
	    "ssl_verify=true\nssl_verify_hostname=no\nproxy=http://proxy:3128\n"
	    "ignore_system_proxy=on\nintegration=ignored\n",
	    0600);
	CHECK(config_credentials(&cfg, NULL, &c, err, sizeof(err)) == 0);
	CHECK(c.ssl_verify && !c.ssl_verify_hostname);
	CHECK(strcmp(c.proxy, "http://proxy:3128") == 0);
	CHECK(c.ignore_system_proxy && strcmp(c.org_key, "ORG1") == 0);
	cb_cred_release(&c);

	/* A good file, even world-readable (warned), works. */
	write_file(
	    "creds", "[default]\nurl=https://x\ntoken=ABCDEFGH/ID\n", 0644);
	CHECK(config_credentials(&cfg, NULL, &c, err, sizeof(err)) == 0);
	cb_cred_release(&c);
	config_release(&cfg);
	return 0;
}

int
main(void)
{
	char cmd[200];

	snprintf(dir, sizeof(dir), "/tmp/lrflow-config.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 2;
	log_init("test_config", LOG_ERROR, LOG_TEXT);
	RUN(test_defaults);
	RUN(test_timeline_window);
	RUN(test_seed_flags);
	RUN(test_bad_flags);
	RUN(test_device_lists);
	RUN(test_viewer_refuses_open_listen);
	RUN(test_viewer_loopback_is_parsed);
	RUN(test_ini_parsing);
	RUN(test_credentials_file_search);
	RUN(test_credentials_precedence);
	RUN(test_credentials_bad_files);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return t_done();
}
