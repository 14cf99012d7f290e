/* probe.c - raw TCP clients for the viewer's HTTP tests (t_viewer_http.sh),
 * for what curl will not do: hold many idle connections, send malformed
 * bytes, send a request slowly.
 *
 *   t-probe hold PORT N        open N connections to 127.0.0.1:PORT; print
 *                              "held N"; SIGUSR1 closes one of them; on
 *                              SIGTERM print "peer-closed K" (how many the
 *                              server closed) and exit 0
 *   t-probe send PORT MS       send stdin, then copy the answer to stdout
 *                              until the server closes (exit 0) or MS pass
 *                              (exit 3)
 *   t-probe slow PORT EVERY_MS MAX_S
 *                              send a request line, then one header line
 *                              every EVERY_MS; print the seconds until the
 *                              server closed (exit 0), or "open" after
 *                              MAX_S (exit 3)
 *   t-probe trap ADDR PORT     listen on ADDR:PORT (0: any free port);
 *                              print "listening PORT", then "hit LINE" with
 *                              the first line of each request (a browser
 *                              request that should never have been made),
 *                              answered 204; until SIGTERM
 *   t-probe mute PORT          listen on 127.0.0.1:PORT (0: any free port);
 *                              print "listening PORT"; accept connections,
 *                              read what they send and never answer (a
 *                              server that hangs); until SIGTERM
 *   t-probe ports N            print N distinct free TCP ports of
 *                              127.0.0.1, one a line */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

static volatile sig_atomic_t got_term, got_usr1;

static void
on_signal(int sig)
{
	if (sig == SIGTERM)
		got_term = 1;
	else
		got_usr1 = 1;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A socket connecting to 127.0.0.1:port; nonblocking when nb. */
static int
dial(int port, int nb)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (nb)
		fcntl(fd, F_SETFL, O_NONBLOCK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
cmd_hold(int port, int n)
{
	struct pollfd *p = calloc((size_t)n, sizeof(*p));
	struct sigaction sa;
	int i, open = 0, peer_closed = 0;
	char buf[4096];

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: poll returns */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	for (i = 0; i < n; i++) {
		p[i].fd = dial(port, 1);
		p[i].events = POLLIN;
		if (p[i].fd != -1)
			open++;
	}
	printf("held %d\n", open);
	fflush(stdout);
	while (!got_term) {
		if (got_usr1) {
			got_usr1 = 0;
			for (i = 0; i < n && p[i].fd == -1; i++)
				;
			if (i < n) {
				close(p[i].fd);
				p[i].fd = -1;
			}
		}
		if (poll(p, (nfds_t)n, 1000) <= 0)
			continue;
		for (i = 0; i < n; i++) {
			if (p[i].fd == -1 || p[i].revents == 0)
				continue;
			if (read(p[i].fd, buf, sizeof(buf)) <= 0) {
				close(p[i].fd);
				p[i].fd = -1;
				peer_closed++;
			}
		}
	}
	printf("peer-closed %d\n", peer_closed);
	for (i = 0; i < n; i++)
		if (p[i].fd != -1)
			close(p[i].fd);
	free(p);
	return 0;
}

/* Copies fd's input to stdout until EOF (0) or the deadline (3). */
static int
drain(int fd, double deadline)
{
	char buf[8192];
	struct pollfd p = {fd, POLLIN, 0};

	for (;;) {
		int ms = (int)((deadline - now_s()) * 1000);
		ssize_t r;

		if (ms <= 0 || poll(&p, 1, ms) <= 0)
			return 3;
		r = read(fd, buf, sizeof(buf));
		if (r <= 0)
			return 0;
		fwrite(buf, 1, (size_t)r, stdout);
		fflush(stdout);
	}
}

static int
cmd_send(int port, int ms)
{
	double deadline = now_s() + ms / 1000.0;
	int fd = dial(port, 0);
	char buf[8192];
	size_t r;

	if (fd == -1) {
		perror("connect");
		return 1;
	}
	while ((r = fread(buf, 1, sizeof(buf), stdin)) > 0)
		if (write(fd, buf, r) != (ssize_t)r)
			break;
	return drain(fd, deadline);
}

static int
cmd_slow(int port, int every_ms, int max_s)
{
	double start = now_s();
	int fd = dial(port, 0), i = 0;
	static const char first[] = "GET / HTTP/1.1\r\nHost: probe\r\n";
	struct pollfd p;
	char buf[4096];

	if (fd == -1) {
		perror("connect");
		return 1;
	}
	p.fd = fd;
	p.events = POLLIN;
	if (write(fd, first, sizeof(first) - 1) < 0)
		return 1;
	while (now_s() - start < max_s) {
		char line[64];
		int n;

		if (poll(&p, 1, every_ms) > 0) {
			if (read(fd, buf, sizeof(buf)) <= 0) {
				printf("%.1f\n", now_s() - start);
				return 0;
			}
			continue;
		}
		n = snprintf(line, sizeof(line), "X-Slow-%d: %d\r\n", i, i);
		i++;
		if (write(fd, line, (size_t)n) < 0) {
			printf("%.1f\n", now_s() - start);
			return 0;
		}
	}
	printf("open\n");
	return 3;
}

static int
cmd_trap(const char *addr, int port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	if (lfd == -1 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(lfd, 64) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &len) == -1) {
		perror("trap");
		return 1;
	}
	printf("listening %d\n", ntohs(sa.sin_port));
	fflush(stdout);
	for (;;) {
		static const char answer[] =
		    "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n";
		char buf[2048];
		struct pollfd p;
		ssize_t r;
		int fd = accept(lfd, NULL, NULL);

		if (fd == -1)
			continue;
		p.fd = fd;
		p.events = POLLIN;
		r = poll(&p, 1, 2000) > 0 ? read(fd, buf, sizeof(buf) - 1) : 0;
		buf[r > 0 ? r : 0] = '\0';
		buf[strcspn(buf, "\r\n")] = '\0';
		printf("hit %s\n", buf);
		fflush(stdout);
		if (write(fd, answer, sizeof(answer) - 1) < 0)
			perror("trap");
		close(fd);
	}
}

/* A listening socket on 127.0.0.1:port; *port gets the bound port. */
static int
listen_on(int *port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)*port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(fd, 64) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) == -1) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

static int
cmd_mute(int port)
{
	struct pollfd p[64];
	nfds_t n = 1;
	char buf[4096];
	int lfd = listen_on(&port);

	if (lfd == -1) {
		perror("mute");
		return 1;
	}
	printf("listening %d\n", port);
	fflush(stdout);
	p[0].fd = lfd;
	p[0].events = POLLIN;
	for (;;) {
		if (poll(p, n, -1) <= 0)
			continue;
		for (nfds_t i = 1; i < n; i++)
			if (p[i].revents != 0 &&
			    read(p[i].fd, buf, sizeof(buf)) <= 0) {
				close(p[i].fd);
				p[i--] = p[--n];
			}
		if (p[0].revents & POLLIN) {
			int fd = accept(lfd, NULL, NULL);

			if (fd != -1 && n < 64) {
				p[n].fd = fd;
				p[n].events = POLLIN;
				p[n++].revents = 0;
			} else if (fd != -1)
				close(fd);
		}
	}
}

static int
cmd_ports(int n)
{
	int fds[64];

	if (n < 1 || n > 64)
		return 2;
	for (int i = 0; i < n; i++) {
		int port = 0;

		if ((fds[i] = listen_on(&port)) == -1) {
			perror("ports");
			return 1;
		}
		printf("%d\n", port);
	}
	for (int i = 0; i < n; i++)
		close(fds[i]);
	return 0;
}

int
main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc == 4 && strcmp(argv[1], "hold") == 0)
		return cmd_hold(atoi(argv[2]), atoi(argv[3]));
	if (argc == 4 && strcmp(argv[1], "send") == 0)
		return cmd_send(atoi(argv[2]), atoi(argv[3]));
	if (argc == 5 && strcmp(argv[1], "slow") == 0)
		return cmd_slow(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
	if (argc == 4 && strcmp(argv[1], "trap") == 0)
		return cmd_trap(argv[2], atoi(argv[3]));
	if (argc == 3 && strcmp(argv[1], "mute") == 0)
		return cmd_mute(atoi(argv[2]));
	if (argc == 3 && strcmp(argv[1], "ports") == 0)
		return cmd_ports(atoi(argv[2]));
	fprintf(stderr, "usage: t-probe hold PORT N | send PORT MS | "
			"slow PORT EVERY_MS MAX_S | trap ADDR PORT | "
			"mute PORT | ports N\n");
	return 2;
}
