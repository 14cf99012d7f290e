/* log.h - one logger for every daemon: levels, text or JSON lines, stderr.
 *
 * Every line goes through a redaction pass: strings registered with
 * log_add_secret() (API tokens) are replaced by "[REDACTED]" wherever they
 * appear, so a token never reaches a log, even at --verbose. */
#ifndef LR_LOG_H
#define LR_LOG_H

#include <stdbool.h>
#include <stdnoreturn.h>

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };
enum log_format { LOG_TEXT = 0, LOG_JSON };

#define PRINTFLIKE(a, b) __attribute__((format(printf, a, b)))

/* prog is borrowed and must outlive the logger (argv[0] or a literal). */
void log_init(const char *prog, enum log_level level, enum log_format fmt);
void log_set_level(enum log_level level);
bool log_enabled(enum log_level level);
/* Registers a secret to redact from every later line (copied; up to 8). */
void log_add_secret(const char *secret);

void log_debug(const char *fmt, ...) PRINTFLIKE(1, 2);
void log_info(const char *fmt, ...) PRINTFLIKE(1, 2);
/* log_warn appends ": strerror(errno)"; log_warnx does not. */
void log_warn(const char *fmt, ...) PRINTFLIKE(1, 2);
void log_warnx(const char *fmt, ...) PRINTFLIKE(1, 2);
/* Logs at error level and returns -1, so an error path is one line. */
int log_error(const char *fmt, ...) PRINTFLIKE(1, 2);
noreturn void fatal(const char *fmt, ...) PRINTFLIKE(1, 2);
noreturn void fatalx(const char *fmt, ...) PRINTFLIKE(1, 2);

/* Redacts registered secrets in buf (in place, NUL-terminated, size bytes). */
void log_redact(char *buf, unsigned long size);

#endif
