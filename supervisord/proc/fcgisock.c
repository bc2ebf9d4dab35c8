/*
 * fcgisock.c — [fcgi-program:x] sockets (see fcgisock.h): creation with
 * supervisord's steps (datatypes.py UnixStreamSocketConfig /
 * InetStreamSocketConfig, socket_manager.py), reference counting, and the
 * delayed close that lets a restart keep its socket.
 *
 * The daemon only listens: it never accepts, so connections wait in the
 * backlog until a process of the group accept()s them. The descriptor stays
 * blocking, because its file status flags are shared with the children.
 */
#include <errno.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fcgisock.h"
#include "log.h"

struct fcgisock {
	struct fcgisock_set *set;
	struct fcgisock *next;
	char *url;
	int fd;
	int refs;
	ev_timer linger; /* the last reference went back: close when it fires */
	/* what was applied, to apply a reloaded configuration's again */
	int backlog;
	int mode;
};

struct fcgisock_set {
	struct ev_loop *loop;
	struct fcgisock *list;
};

struct fcgisock_set *fcgisock_set_new(struct ev_loop *loop)
{
	struct fcgisock_set *set = calloc(1, sizeof(*set));
	if (set != NULL)
		set->loop = loop;
	return set;
}

/* Close s and take it out of its set. */
static void fcgisock_close(struct fcgisock *s)
{
	struct fcgisock_set *set = s->set;
	ev_timer_stop(set->loop, &s->linger);
	log_info("closing socket %s", s->url);
	close(s->fd); /* as supervisord: a unix socket's file stays (the next creation removes it) */
	for (struct fcgisock **pp = &set->list; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	free(s->url);
	free(s);
}

void fcgisock_set_free(struct fcgisock_set *set)
{
	if (set == NULL)
		return;
	while (set->list != NULL)
		fcgisock_close(set->list);
	free(set);
}

static void fcgisock_linger_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct fcgisock *s = w->data;
	if (s->refs == 0)
		fcgisock_close(s);
}

/* supervisord's owner: socket_owner "user[:group]" (gid -1 without a group), else the program's
 * user= and its primary group when that is not the daemon's user; *chown false when none. */
static int fcgisock_owner(const struct conf_program *pr, uid_t *uid, gid_t *gid, bool *chown, char *err,
			  size_t errlen)
{
	char buf[4096], name[256];
	struct passwd pwd, *pw = NULL;
	struct group grp, *gr = NULL;
	const char *who = pr->socket_owner != NULL ? pr->socket_owner : pr->user;
	char *end;

	*chown = false;
	if (who == NULL)
		return 0;
	snprintf(name, sizeof(name), "%s", who);
	char *colon = pr->socket_owner != NULL ? strchr(name, ':') : NULL;
	if (colon != NULL)
		*colon = '\0';
	long id = strtol(name, &end, 10);
	if (name[0] != '\0' && *end == '\0')
		getpwuid_r((uid_t)id, &pwd, buf, sizeof(buf), &pw);
	else
		getpwnam_r(name, &pwd, buf, sizeof(buf), &pw);
	if (pw == NULL) {
		snprintf(err, errlen, "no such user: %.64s", name);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = (gid_t)-1;
	if (pr->socket_owner == NULL) {
		if (pw->pw_uid == getuid())
			return 0;
		*gid = pw->pw_gid;
	} else if (colon != NULL) {
		id = strtol(colon + 1, &end, 10);
		if (colon[1] != '\0' && *end == '\0')
			getgrgid_r((gid_t)id, &grp, buf, sizeof(buf), &gr);
		else
			getgrnam_r(colon + 1, &grp, buf, sizeof(buf), &gr);
		if (gr == NULL) {
			snprintf(err, errlen, "no such group: %s", colon + 1);
			return -1;
		}
		*gid = gr->gr_gid;
	}
	*chown = true;
	return 0;
}

/* chown then chmod the socket file, as supervisord (its words on failure). */
static int fcgisock_perms(const char *path, const struct conf_program *pr, char *err, size_t errlen)
{
	uid_t uid;
	gid_t gid;
	bool own;

	if (fcgisock_owner(pr, &uid, &gid, &own, err, errlen) < 0)
		return -1;
	if (own && chown(path, uid, gid) < 0) {
		snprintf(err, errlen, "Could not change ownership of socket file: %s", strerror(errno));
		return -1;
	}
	if (chmod(path, (mode_t)pr->socket_mode) < 0) {
		snprintf(err, errlen, "Could not change permissions of socket file: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* unix://PATH: remove a stale socket file, bind, chown, chmod. fd or -1 with why in err. */
static int fcgisock_unix(const struct conf_program *pr, char *err, size_t errlen)
{
	const char *path = pr->socket + 7;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "path too long");
		return -1;
	}
	strcpy(sa.sun_path, path);
	/* supervisord unlinks whatever is there; a file that is not a socket is left alone */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket", path);
			return -1;
		}
		if (unlink(path) < 0) {
			snprintf(err, errlen, "unlink %s: %s", path, strerror(errno));
			return -1;
		}
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	if (fcgisock_perms(path, pr, err, errlen) < 0) {
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

/* tcp://HOST:PORT: an IPv4 socket with SO_REUSEADDR, bound. fd or -1 with why in err. */
static int fcgisock_tcp(const struct conf_program *pr, char *err, size_t errlen)
{
	char host[256];
	const char *colon = strrchr(pr->socket + 6, ':');
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
	struct addrinfo *ai;

	snprintf(host, sizeof(host), "%.*s", (int)(colon - (pr->socket + 6)), pr->socket + 6);
	int rc = getaddrinfo(host, colon + 1, &hints, &ai);
	if (rc != 0) {
		snprintf(err, errlen, "%.64s: %s", host, gai_strerror(rc));
		return -1;
	}
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

static int fcgisock_backlog(const struct conf_program *pr)
{
	return pr->socket_backlog > 0 ? pr->socket_backlog : SOMAXCONN;
}

/* An open socket's settings changed with a reload (same URL): apply the new ones. */
static void fcgisock_update(struct fcgisock *s, const struct conf_program *pr)
{
	char err[256];
	if (s->backlog != fcgisock_backlog(pr) && listen(s->fd, fcgisock_backlog(pr)) == 0)
		s->backlog = fcgisock_backlog(pr);
	if (strncmp(s->url, "unix://", 7) != 0)
		return;
	if (s->mode != pr->socket_mode || pr->socket_owner != NULL || pr->user != NULL) {
		if (fcgisock_perms(s->url + 7, pr, err, sizeof(err)) < 0)
			log_warnx("socket %s: %s", s->url, err);
		s->mode = pr->socket_mode;
	}
}

struct fcgisock *fcgisock_acquire(struct fcgisock_set *set, const struct conf_program *pr, char *err,
				  size_t errlen)
{
	char why[256];
	struct fcgisock *s;

	for (s = set->list; s != NULL; s = s->next)
		if (strcmp(s->url, pr->socket) == 0) {
			ev_timer_stop(set->loop, &s->linger);
			fcgisock_update(s, pr);
			s->refs++;
			return s;
		}
	s = calloc(1, sizeof(*s));
	if (s == NULL || (s->url = strdup(pr->socket)) == NULL) {
		free(s);
		snprintf(err, errlen, "Could not create FastCGI socket %s: out of memory", pr->socket);
		return NULL;
	}
	log_info("creating socket %s", s->url);
	s->fd = strncmp(pr->socket, "unix://", 7) == 0 ? fcgisock_unix(pr, why, sizeof(why))
						       : fcgisock_tcp(pr, why, sizeof(why));
	if (s->fd >= 0 && listen(s->fd, fcgisock_backlog(pr)) < 0) {
		snprintf(why, sizeof(why), "%s", strerror(errno));
		close(s->fd);
		s->fd = -1;
	}
	if (s->fd < 0) {
		snprintf(err, errlen, "Could not create FastCGI socket %s: %s", s->url, why);
		free(s->url);
		free(s);
		return NULL;
	}
	s->set = set;
	s->backlog = fcgisock_backlog(pr);
	s->mode = pr->socket_mode;
	s->refs = 1;
	ev_timer_init(&s->linger, fcgisock_linger_cb, FCGISOCK_LINGER_S, 0.);
	s->linger.data = s;
	s->next = set->list;
	set->list = s;
	return s;
}

struct fcgisock *fcgisock_keep(struct fcgisock_set *set, const char *url)
{
	for (struct fcgisock *s = set->list; s != NULL; s = s->next)
		if (strcmp(s->url, url) == 0) {
			ev_timer_stop(set->loop, &s->linger);
			s->refs++;
			return s;
		}
	return NULL;
}

void fcgisock_release(struct fcgisock *s)
{
	if (s == NULL || s->refs <= 0)
		return;
	if (--s->refs == 0)
		ev_timer_start(s->set->loop, &s->linger);
}

int fcgisock_fd(const struct fcgisock *s)
{
	return s->fd;
}

const char *fcgisock_url(const struct fcgisock *s)
{
	return s->url;
}

int fcgisock_refs(const struct fcgisock *s)
{
	return s->refs;
}
