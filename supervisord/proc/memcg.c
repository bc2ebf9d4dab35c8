/*
 * memcg.c — per-program memory cgroups (v2, else v1), OOM-kill counters, RSS
 * sampling of a process group and the kernel-log fallback for OOM detection.
 *
 * It owns only the directories it makes below the daemon's own cgroup; it never
 * writes at a hierarchy's root, never kills unless asked (memcg_kill), never
 * logs and never exits. See memcg.h for the layout.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "memcg.h"

#define MEMCG_PATH_MAX 4096

struct memcg_root {
	enum memcg_kind kind;
	char own[MEMCG_PATH_MAX];  /* the daemon's cgroup directory */
	char base[MEMCG_PATH_MAX]; /* own/taskvisor-<pid> */
	bool moved_self;	   /* v2: the daemon lives in base/supervisor */
};

struct memcg {
	struct memcg_root *root;
	char *dir;	  /* malloc'd: one per process, so no PATH_MAX arrays (100 programs: 800 KB) */
	char *procs;	  /* dir/cgroup.procs */
	long long limit;  /* the limit last written, so a restart does not write it again */
	bool limit_known; /* ... once one was */
};

/* ---- small file helpers ---- */

/* Fill the caller's error buffer (cut to fit: paths may be long). */
__attribute__((format(printf, 3, 4))) static void memcg_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Read a whole (small) file into a malloc'd NUL-terminated buffer; NULL + errno. */
static char *memcg_read_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	if (buf == NULL) {
		close(fd);
		return NULL;
	}
	for (;;) {
		if (len + 1 >= cap) {
			char *n = realloc(buf, cap * 2);
			if (n == NULL) {
				free(buf);
				close(fd);
				errno = ENOMEM;
				return NULL;
			}
			buf = n;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			close(fd);
			errno = e;
			return NULL;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

/* Write s to path in one write(2), as cgroupfs wants. Async-signal-safe. 0 / -1 + errno. */
static int memcg_write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t n = strlen(s);
	ssize_t w;
	do
		w = write(fd, s, n);
	while (w < 0 && errno == EINTR);
	int e = errno;
	close(fd);
	if (w < 0) {
		errno = e;
		return -1;
	}
	return (size_t)w == n ? 0 : (errno = EIO, -1);
}

static int memcg_join(char *out, size_t outlen, const char *dir, const char *name)
{
	int n = snprintf(out, outlen, "%s/%s", dir, name);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

static int memcg_write_in(const char *dir, const char *file, const char *s)
{
	char p[MEMCG_PATH_MAX];
	if (memcg_join(p, sizeof(p), dir, file) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return memcg_write_file(p, s);
}

static char *memcg_read_in(const char *dir, const char *file)
{
	char p[MEMCG_PATH_MAX];
	if (memcg_join(p, sizeof(p), dir, file) < 0) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	return memcg_read_file(p);
}

static bool memcg_exists(const char *dir, const char *file)
{
	char p[MEMCG_PATH_MAX];
	return memcg_join(p, sizeof(p), dir, file) == 0 && access(p, F_OK) == 0;
}

/* ---- pure parsers ---- */

bool memcg_list_has(const char *list, const char *seps, const char *word)
{
	size_t wl = strlen(word);
	const char *s = list;
	while (*s != '\0') {
		size_t n = strcspn(s, seps);
		if (n == wl && strncmp(s, word, wl) == 0)
			return true;
		s += n;
		if (*s != '\0')
			s++;
	}
	return false;
}

int memcg_parse_self_cgroup(const char *text, enum memcg_kind kind, char *out, size_t outlen)
{
	const char *line = text;
	while (line != NULL && *line != '\0') {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		/* hierarchy-ID:controller-list:cgroup-path */
		const char *c1 = memchr(line, ':', len);
		const char *c2 = c1 ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - line)) : NULL;
		if (c2 != NULL) {
			char ctl[256];
			size_t cl = (size_t)(c2 - c1 - 1);
			bool match = false;
			if (cl < sizeof(ctl)) {
				memcpy(ctl, c1 + 1, cl);
				ctl[cl] = '\0';
				if (kind == MEMCG_V2)
					match = (c1 - line == 1 && line[0] == '0' && cl == 0);
				else if (kind == MEMCG_V1)
					match = memcg_list_has(ctl, ",", "memory");
			}
			size_t pl = len - (size_t)(c2 + 1 - line);
			if (match && pl > 0 && pl < outlen) {
				memcpy(out, c2 + 1, pl);
				out[pl] = '\0';
				return 0;
			}
		}
		line = eol ? eol + 1 : NULL;
	}
	return -1;
}

/* Decode mountinfo's octal escapes (\040 space, \011 tab, \012 newline, \134 backslash). */
static void memcg_unescape(const char *s, size_t n, char *out, size_t outlen)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 1 < outlen; i++) {
		if (s[i] == '\\' && i + 3 < n && isdigit((unsigned char)s[i + 1]) &&
		    isdigit((unsigned char)s[i + 2]) && isdigit((unsigned char)s[i + 3])) {
			out[o++] = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
			i += 3;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
}

/* Split one mountinfo line into fields; returns the count (at most max). */
static int memcg_fields(const char *line, size_t len, const char **f, size_t *fl, int max)
{
	int n = 0;
	size_t i = 0;
	while (i < len && n < max) {
		while (i < len && line[i] == ' ')
			i++;
		if (i >= len)
			break;
		size_t st = i;
		while (i < len && line[i] != ' ')
			i++;
		f[n] = line + st;
		fl[n] = i - st;
		n++;
	}
	return n;
}

int memcg_resolve_dir(const char *mountinfo, enum memcg_kind kind, const char *cgpath, char *out,
		      size_t outlen)
{
	const char *line = mountinfo;
	while (line != NULL && *line != '\0') {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		const char *f[64];
		size_t fl[64];
		int nf = memcg_fields(line, len, f, fl, 64);
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS */
		int dash = -1;
		for (int i = 6; i < nf; i++) {
			if (fl[i] == 1 && f[i][0] == '-') {
				dash = i;
				break;
			}
		}
		if (dash > 0 && dash + 3 < nf) {
			const char *fs = f[dash + 1];
			size_t fsl = fl[dash + 1];
			bool want = false;
			if (kind == MEMCG_V2) {
				want = (fsl == 7 && strncmp(fs, "cgroup2", 7) == 0);
			} else if (kind == MEMCG_V1 && fsl == 6 && strncmp(fs, "cgroup", 6) == 0) {
				char opts[1024];
				size_t ol = fl[dash + 3];
				if (ol < sizeof(opts)) {
					memcpy(opts, f[dash + 3], ol);
					opts[ol] = '\0';
					want = memcg_list_has(opts, ",", "memory");
				}
			}
			if (want) {
				char root[MEMCG_PATH_MAX], mnt[MEMCG_PATH_MAX];
				memcg_unescape(f[3], fl[3], root, sizeof(root));
				memcg_unescape(f[4], fl[4], mnt, sizeof(mnt));
				const char *rest = NULL;
				size_t rl = strlen(root);
				if (strcmp(root, "/") == 0)
					rest = cgpath;
				else if (strncmp(cgpath, root, rl) == 0 &&
					 (cgpath[rl] == '/' || cgpath[rl] == '\0'))
					rest = cgpath + rl;
				if (rest != NULL) {
					if (strcmp(rest, "/") == 0)
						rest = "";
					int n = snprintf(out, outlen, "%s%s", mnt, rest);
					if (n > 0 && (size_t)n < outlen)
						return 0;
				}
			}
		}
		line = eol ? eol + 1 : NULL;
	}
	return -1;
}

long long memcg_parse_key(const char *text, const char *key)
{
	size_t kl = strlen(key);
	const char *line = text;
	while (line != NULL && *line != '\0') {
		if (strncmp(line, key, kl) == 0 && line[kl] == ' ') {
			char *end;
			errno = 0;
			long long v = strtoll(line + kl + 1, &end, 10);
			if (errno == 0 && end != line + kl + 1)
				return v;
		}
		line = strchr(line, '\n');
		if (line != NULL)
			line++;
	}
	return -1;
}

void memcg_sanitize(const char *name, char *out, size_t outlen)
{
	size_t o = 0;
	for (const char *s = name; *s != '\0' && o + 1 < outlen; s++) {
		unsigned char c = (unsigned char)*s;
		out[o++] = (c == '/' || c == '.' || c <= ' ' || c == 0x7f) ? '_' : (char)c;
	}
	if (o == 0 && outlen > 1)
		out[o++] = '_';
	if (outlen > 0)
		out[o] = '\0';
}

int memcg_parse_stat(const char *line, pid_t *pgrp, long long *rss_pages)
{
	/* pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
	 * utime stime cutime cstime priority nice num_threads itrealvalue starttime vsize rss;
	 * comm may hold spaces and parentheses: the fields start after the last ')'. */
	const char *p = strrchr(line, ')');
	if (p == NULL)
		return -1;
	p++;
	long long v[22];
	int field = 0; /* field 0 = state (the 3rd of the line) */
	while (*p != '\0' && field < 22) {
		while (*p == ' ')
			p++;
		if (*p == '\0' || *p == '\n')
			break;
		if (field == 0) {
			v[0] = 0;
			while (*p != ' ' && *p != '\0')
				p++;
		} else {
			char *end;
			v[field] = strtoll(p, &end, 10);
			if (end == p)
				return -1;
			p = end;
		}
		field++;
	}
	if (field < 22)
		return -1;
	*pgrp = (pid_t)v[2]; /* 5th field */
	*rss_pages = v[21];  /* 24th field */
	return 0;
}

/* Does msg hold "<prefix><pid><one of end>"? */
static bool memcg_has_pid_after(const char *msg, const char *prefix, pid_t pid, const char *ends)
{
	size_t pl = strlen(prefix);
	for (const char *s = strstr(msg, prefix); s != NULL; s = strstr(s + 1, prefix)) {
		char *end;
		long v = strtol(s + pl, &end, 10);
		if (end != s + pl && v == (long)pid && (*end == '\0' || strchr(ends, *end) != NULL))
			return true;
	}
	return false;
}

bool memcg_kmsg_is_oom(const char *msg, pid_t pid)
{
	if (pid <= 0)
		return false;
	/* "Out of memory: Killed process 1234 (eat) total-vm:..." and the memory cgroup variant;
	 * "oom-kill:constraint=CONSTRAINT_MEMCG,...,task=eat,pid=1234,uid=0". */
	if (strstr(msg, "Killed process ") != NULL && memcg_has_pid_after(msg, "Killed process ", pid, " ("))
		return true;
	if (strstr(msg, "oom-kill:") != NULL && memcg_has_pid_after(msg, ",pid=", pid, ",\n"))
		return true;
	return false;
}

/* ---- the hierarchy ---- */

/* The daemon's own cgroup directory for kind; 0 / -1 with the reason. */
static int memcg_own_dir(enum memcg_kind kind, char *out, size_t outlen, char *err, size_t errlen)
{
	char *self = memcg_read_file("/proc/self/cgroup");
	char *mi = memcg_read_file("/proc/self/mountinfo");
	char path[MEMCG_PATH_MAX];
	int rc = -1;
	const char *name = kind == MEMCG_V2 ? "cgroup v2" : "cgroup v1 memory";
	if (self == NULL || mi == NULL)
		memcg_err(err, errlen, "cannot read /proc/self/cgroup or mountinfo: %s", strerror(errno));
	else if (memcg_parse_self_cgroup(self, kind, path, sizeof(path)) < 0)
		memcg_err(err, errlen, "%s: the daemon is in no such cgroup", name);
	else if (memcg_resolve_dir(mi, kind, path, out, outlen) < 0)
		memcg_err(err, errlen, "%s: no mount shows the daemon's cgroup %s", name, path);
	else if (access(out, W_OK) < 0)
		memcg_err(err, errlen, "%s: %s: %s", name, out, strerror(errno));
	else
		rc = 0;
	free(self);
	free(mi);
	return rc;
}

/* Send sig to every process listed in a cgroup.procs file: how many were signalled, -1 if
 * the file cannot be read. */
static int memcg_kill_procs(const char *procs, int sig)
{
	char *t = memcg_read_file(procs);
	if (t == NULL)
		return -1;
	int n = 0;
	for (char *s = t; *s != '\0';) {
		char *end;
		long pid = strtol(s, &end, 10);
		if (end == s)
			break;
		if (pid > 0 && kill((pid_t)pid, sig) == 0)
			n++;
		s = end;
		while (*s == '\n')
			s++;
	}
	free(t);
	return n;
}

/* Remove stale taskvisor-<pid> directories of dead daemons. A daemon killed with SIGKILL takes
 * its children along (PR_SET_PDEATHSIG), but not their own children (a shell's background job):
 * those are still in the dead daemon's program cgroups, so kill them first, then rmdir. A
 * directory whose daemon is alive is never touched. */
static void memcg_sweep_stale(const char *own)
{
	DIR *d = opendir(own);
	if (d == NULL)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		char *end;
		if (strncmp(e->d_name, "taskvisor-", 10) != 0)
			continue;
		long pid = strtol(e->d_name + 10, &end, 10);
		if (*end != '\0' || pid <= 0 || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 ||
		    errno != ESRCH)
			continue;
		char base[MEMCG_PATH_MAX];
		if (memcg_join(base, sizeof(base), own, e->d_name) < 0)
			continue;
		DIR *sd = opendir(base);
		if (sd != NULL) {
			struct dirent *se;
			while ((se = readdir(sd)) != NULL) {
				char sub[MEMCG_PATH_MAX];
				char procs[MEMCG_PATH_MAX];
				if (se->d_type != DT_DIR || se->d_name[0] == '.' ||
				    memcg_join(sub, sizeof(sub), base, se->d_name) < 0 ||
				    memcg_join(procs, sizeof(procs), sub, "cgroup.procs") < 0)
					continue;
				int n = memcg_kill_procs(procs, SIGKILL);
				if (n > 0)
					log_warnx(
					    "memory cgroups: killed %d process(es) left in %s by a daemon "
					    "that died (pid %ld)",
					    n, sub, pid);
				/* the kernel empties the cgroup once the killed processes are reaped */
				for (int i = 0; i < 100 && rmdir(sub) < 0 && errno == EBUSY; i++)
					usleep(10000);
			}
			closedir(sd);
		}
		rmdir(base);
	}
	closedir(d);
}

static int memcg_mkdir(const char *dir)
{
	return mkdir(dir, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

/* Enable +memory in dir's cgroup.subtree_control unless it is on already. 0 / -1 + errno. */
static int memcg_v2_enable(const char *dir)
{
	char *cur = memcg_read_in(dir, "cgroup.subtree_control");
	bool on = cur != NULL && memcg_list_has(cur, " \n", "memory");
	free(cur);
	return on ? 0 : memcg_write_in(dir, "cgroup.subtree_control", "+memory");
}

static int memcg_open_v2(struct memcg_root *r, char *err, size_t errlen)
{
	if (memcg_own_dir(MEMCG_V2, r->own, sizeof(r->own), err, errlen) < 0)
		return -1;
	char *ctl = memcg_read_in(r->own, "cgroup.controllers");
	bool has = ctl != NULL && memcg_list_has(ctl, " \n", "memory");
	free(ctl);
	if (!has) {
		memcg_err(err, errlen, "cgroup v2: %s: no memory controller", r->own);
		return -1;
	}
	memcg_sweep_stale(r->own);
	if (snprintf(r->base, sizeof(r->base), "%s/taskvisor-%ld", r->own, (long)getpid()) >=
		(int)sizeof(r->base) ||
	    memcg_mkdir(r->base) < 0) {
		memcg_err(err, errlen, "cgroup v2: mkdir %s: %s", r->base, strerror(errno));
		return -1;
	}
	if (memcg_v2_enable(r->own) < 0) {
		if (errno != EBUSY) {
			memcg_err(err, errlen, "cgroup v2: %s/cgroup.subtree_control: +memory: %s", r->own,
				  strerror(errno));
			goto fail;
		}
		/* The daemon (and maybe others) sit in own: a cgroup with processes cannot hand
		 * controllers down. Move the daemon into a leaf of its own and try again. */
		char leaf[MEMCG_PATH_MAX];
		if (memcg_join(leaf, sizeof(leaf), r->base, "supervisor") < 0 || memcg_mkdir(leaf) < 0 ||
		    memcg_write_in(leaf, "cgroup.procs", "0") < 0) {
			memcg_err(err, errlen, "cgroup v2: cannot move the daemon into %s: %s", leaf,
				  strerror(errno));
			rmdir(leaf);
			goto fail;
		}
		r->moved_self = true;
		if (memcg_v2_enable(r->own) < 0) {
			memcg_err(err, errlen,
				  "cgroup v2: %s/cgroup.subtree_control: +memory: %s (other processes in the "
				  "cgroup?)",
				  r->own, strerror(errno));
			memcg_write_in(r->own, "cgroup.procs", "0");
			r->moved_self = false;
			rmdir(leaf);
			goto fail;
		}
	}
	if (memcg_v2_enable(r->base) < 0) {
		memcg_err(err, errlen, "cgroup v2: %s/cgroup.subtree_control: +memory: %s", r->base,
			  strerror(errno));
		goto fail;
	}
	return 0;
fail:
	if (!r->moved_self)
		rmdir(r->base);
	return -1;
}

static int memcg_open_v1(struct memcg_root *r, char *err, size_t errlen)
{
	if (memcg_own_dir(MEMCG_V1, r->own, sizeof(r->own), err, errlen) < 0)
		return -1;
	memcg_sweep_stale(r->own);
	if (snprintf(r->base, sizeof(r->base), "%s/taskvisor-%ld", r->own, (long)getpid()) >=
		(int)sizeof(r->base) ||
	    memcg_mkdir(r->base) < 0) {
		memcg_err(err, errlen, "cgroup v1 memory: mkdir %s: %s", r->base, strerror(errno));
		return -1;
	}
	/* Make the limits of the children count in the parent's accounting (a no-op where the
	 * kernel forces it; it fails harmlessly once the parent has children). */
	memcg_write_in(r->base, "memory.use_hierarchy", "1");
	if (!memcg_exists(r->base, "memory.limit_in_bytes")) {
		memcg_err(err, errlen, "cgroup v1 memory: %s has no memory.limit_in_bytes", r->base);
		rmdir(r->base);
		return -1;
	}
	return 0;
}

struct memcg_root *memcg_root_open(const char *prefer, char *err, size_t errlen)
{
	bool any = prefer == NULL || strcmp(prefer, "auto") == 0 || prefer[0] == '\0';
	if (!any && strcmp(prefer, "v1") != 0 && strcmp(prefer, "v2") != 0) {
		memcg_err(err, errlen,
			  strcmp(prefer, "none") == 0 ? "memory cgroups disabled"
						      : "unknown cgroup kind (auto, v2, v1, none)");
		return NULL;
	}
	struct memcg_root *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		memcg_err(err, errlen, "out of memory");
		return NULL;
	}
	char e2[512] = "", e1[512] = "";
	if ((any || strcmp(prefer, "v2") == 0) && memcg_open_v2(r, e2, sizeof(e2)) == 0) {
		r->kind = MEMCG_V2;
		return r;
	}
	memset(r, 0, sizeof(*r));
	if ((any || strcmp(prefer, "v1") == 0) && memcg_open_v1(r, e1, sizeof(e1)) == 0) {
		r->kind = MEMCG_V1;
		return r;
	}
	memcg_err(err, errlen, "%s%s%s", e2, e2[0] && e1[0] ? "; " : "", e1);
	free(r);
	return NULL;
}

enum memcg_kind memcg_root_kind_of(const struct memcg_root *r)
{
	return r != NULL ? r->kind : MEMCG_NONE;
}

const char *memcg_root_kind(const struct memcg_root *r)
{
	switch (memcg_root_kind_of(r)) {
	case MEMCG_V2:
		return "v2";
	case MEMCG_V1:
		return "v1";
	default:
		return "none";
	}
}

const char *memcg_root_path(const struct memcg_root *r)
{
	return r != NULL ? r->base : NULL;
}

void memcg_root_close(struct memcg_root *r)
{
	if (r == NULL)
		return;
	/* Program cgroups the callers forgot: rmdir is harmless on a populated one. */
	DIR *d = opendir(r->base);
	if (d != NULL) {
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			char sub[MEMCG_PATH_MAX];
			if (e->d_type == DT_DIR && e->d_name[0] != '.' &&
			    strcmp(e->d_name, "supervisor") != 0 &&
			    memcg_join(sub, sizeof(sub), r->base, e->d_name) == 0)
				rmdir(sub);
		}
		closedir(d);
	}
	/* A daemon that moved itself into base/supervisor (v2) cannot go back into own once own
	 * hands controllers down; it stays in its leaf until it exits and the next daemon's sweep
	 * (or systemd, for a unit) removes it. */
	if (!r->moved_self)
		rmdir(r->base);
	free(r);
}

/* ---- one process's cgroup ---- */

/* Write the limit files (memcg_set_limit without the cache). */
static int memcg_write_limit(struct memcg *m, long long limit_bytes)
{
	char v[32];
	if (m->root->kind == MEMCG_V2) {
		if (limit_bytes > 0)
			snprintf(v, sizeof(v), "%lld", limit_bytes);
		else
			snprintf(v, sizeof(v), "max");
		if (memcg_write_in(m->dir, "memory.max", v) < 0)
			return -1;
		if (memcg_exists(m->dir, "memory.swap.max"))
			memcg_write_in(m->dir, "memory.swap.max", limit_bytes > 0 ? "0" : "max");
		return 0;
	}
	/* v1: memsw (memory+swap) must stay >= the memory limit at every moment, so whether it is
	 * written before or after the memory limit depends on the direction: write it on both
	 * sides (one of the two fails harmlessly). -1 means unlimited. */
	snprintf(v, sizeof(v), "%lld", limit_bytes > 0 ? limit_bytes : -1LL);
	bool memsw = memcg_exists(m->dir, "memory.memsw.limit_in_bytes");
	if (memsw)
		memcg_write_in(m->dir, "memory.memsw.limit_in_bytes", v);
	if (memcg_write_in(m->dir, "memory.limit_in_bytes", v) < 0)
		return -1;
	if (memsw && memcg_write_in(m->dir, "memory.memsw.limit_in_bytes", v) < 0)
		return -1;
	return 0;
}

int memcg_set_limit(struct memcg *m, long long limit_bytes)
{
	/* Called at every spawn: unchanged, it costs nothing on the restart path. */
	if (m->limit_known && m->limit == limit_bytes)
		return 0;
	m->limit_known = false;
	if (memcg_write_limit(m, limit_bytes) < 0)
		return -1;
	m->limit = limit_bytes;
	m->limit_known = true;
	return 0;
}

static void memcg_free(struct memcg *m)
{
	free(m->dir);
	free(m->procs);
	free(m);
}

struct memcg *memcg_create(struct memcg_root *r, const char *name, long long limit_bytes, char *err,
			   size_t errlen)
{
	if (r == NULL || r->kind == MEMCG_NONE) {
		memcg_err(err, errlen, "no memory cgroup hierarchy");
		return NULL;
	}
	struct memcg *m = calloc(1, sizeof(*m));
	if (m == NULL) {
		memcg_err(err, errlen, "out of memory");
		return NULL;
	}
	m->root = r;
	char sane[256], dir[MEMCG_PATH_MAX], procs[MEMCG_PATH_MAX];
	memcg_sanitize(name, sane, sizeof(sane));
	if (memcg_join(dir, sizeof(dir), r->base, sane) < 0 ||
	    memcg_join(procs, sizeof(procs), dir, "cgroup.procs") < 0) {
		memcg_err(err, errlen, "cgroup path too long for %s", name);
		free(m);
		return NULL;
	}
	m->dir = strdup(dir);
	m->procs = strdup(procs);
	if (m->dir == NULL || m->procs == NULL) {
		memcg_err(err, errlen, "out of memory");
		memcg_free(m);
		return NULL;
	}
	if (memcg_mkdir(m->dir) < 0) {
		memcg_err(err, errlen, "mkdir %s: %s", m->dir, strerror(errno));
		memcg_free(m);
		return NULL;
	}
	if (memcg_set_limit(m, limit_bytes) < 0) {
		memcg_err(err, errlen, "%s: memory limit %lld: %s", m->dir, limit_bytes, strerror(errno));
		rmdir(m->dir);
		memcg_free(m);
		return NULL;
	}
	return m;
}

int memcg_attach(const struct memcg *m, pid_t pid)
{
	/* No snprintf: this runs between fork and exec. */
	char buf[24];
	char *p = buf + sizeof(buf) - 1;
	*p = '\0';
	unsigned long v = pid > 0 ? (unsigned long)pid : 0;
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return memcg_write_file(m->procs, p);
}

const char *memcg_procs_path(const struct memcg *m)
{
	return m != NULL ? m->procs : NULL;
}

const char *memcg_path(const struct memcg *m)
{
	return m != NULL ? m->dir : NULL;
}

long long memcg_oom_kills(const struct memcg *m)
{
	if (m == NULL)
		return -1;
	char *t = memcg_read_in(m->dir, m->root->kind == MEMCG_V2 ? "memory.events" : "memory.oom_control");
	if (t == NULL)
		return -1;
	long long v = memcg_parse_key(t, "oom_kill");
	free(t);
	return v;
}

long long memcg_usage(const struct memcg *m)
{
	if (m == NULL)
		return -1;
	char *t =
	    memcg_read_in(m->dir, m->root->kind == MEMCG_V2 ? "memory.current" : "memory.usage_in_bytes");
	if (t == NULL)
		return -1;
	char *end;
	long long v = strtoll(t, &end, 10);
	if (end == t)
		v = -1;
	free(t);
	return v;
}

int memcg_kill(const struct memcg *m, int sig)
{
	if (m == NULL)
		return -1;
	return memcg_kill_procs(m->procs, sig);
}

void memcg_destroy(struct memcg *m)
{
	if (m == NULL)
		return;
	rmdir(m->dir);
	memcg_free(m);
}

/* ---- RSS sampling ---- */

int memcg_pgrp_rss_many(const pid_t *pgids, long long *rss, size_t n)
{
	for (size_t i = 0; i < n; i++)
		rss[i] = 0;
	DIR *d = opendir("/proc");
	if (d == NULL)
		return -1;
	long page = sysconf(_SC_PAGESIZE);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (pid <= 0 || *end != '\0')
			continue;
		char path[64], line[2048];
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue; /* gone meanwhile */
		ssize_t r = read(fd, line, sizeof(line) - 1);
		close(fd);
		if (r <= 0)
			continue;
		line[r] = '\0';
		pid_t pg;
		long long pages;
		if (memcg_parse_stat(line, &pg, &pages) < 0)
			continue;
		for (size_t i = 0; i < n; i++)
			if (pgids[i] == pg && pg > 0)
				rss[i] += pages * page;
	}
	closedir(d);
	return 0;
}

long long memcg_pgrp_rss(pid_t pgid)
{
	long long rss;
	return memcg_pgrp_rss_many(&pgid, &rss, 1) < 0 ? -1 : rss;
}

long long memcg_program_memory(const struct memcg *m, pid_t pgid)
{
	long long v;

	if (pgid <= 0)
		return 0;
	if (m != NULL && (v = memcg_usage(m)) >= 0)
		return v;
	return memcg_pgrp_rss(pgid);
}

void memcg_program_memory_many(const struct memcg *const *ms, const pid_t *pgids, long long *out, size_t n)
{
	pid_t *pg = calloc(n > 0 ? n : 1, sizeof(*pg));
	long long *rss = calloc(n > 0 ? n : 1, sizeof(*rss));
	size_t *at = calloc(n > 0 ? n : 1, sizeof(*at)), k = 0;
	bool ok;

	for (size_t i = 0; i < n; i++) {
		long long v;
		out[i] = pgids[i] <= 0 ? 0 : -1;
		if (pgids[i] <= 0)
			continue;
		if (ms[i] != NULL && (v = memcg_usage(ms[i])) >= 0)
			out[i] = v;
		else if (pg != NULL && rss != NULL && at != NULL) {
			pg[k] = pgids[i];
			at[k++] = i;
		}
	}
	ok = k > 0 && memcg_pgrp_rss_many(pg, rss, k) == 0;
	for (size_t j = 0; ok && j < k; j++)
		out[at[j]] = rss[j];
	free(pg);
	free(rss);
	free(at);
}

/* ---- the kernel log ---- */

/* Seconds since boot at wall time `since` (kmsg stamps count from boot on CLOCK_MONOTONIC). */
static long long memcg_boot_usec(time_t since)
{
	struct timespec mono, real;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	long long now_rel = (long long)mono.tv_sec * 1000000 + mono.tv_nsec / 1000;
	long long ago = ((long long)real.tv_sec - (long long)since) * 1000000;
	return now_rel - ago;
}

static bool memcg_kmsg_scan(pid_t pid, time_t since)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return false;
	/* Allow 2 s of slack: the wall clock and the kernel's stamps are not exactly aligned. */
	long long from = since > 0 ? memcg_boot_usec(since) - 2000000 : 0;
	bool found = false;
	char rec[8192];
	for (;;) {
		ssize_t r = read(fd, rec, sizeof(rec) - 1);
		if (r < 0 && (errno == EINTR || errno == EPIPE))
			continue; /* EPIPE: records overwritten under us; the next read goes on */
		if (r <= 0)
			break;
		rec[r] = '\0';
		/* "prio,seq,usec,flags;message\n" */
		char *semi = strchr(rec, ';');
		if (semi == NULL)
			continue;
		long long usec = 0;
		unsigned prio;
		unsigned long long seq;
		if (sscanf(rec, "%u,%llu,%lld", &prio, &seq, &usec) != 3)
			continue;
		if (usec < from)
			continue;
		char *nl = strchr(semi + 1, '\n');
		if (nl != NULL)
			*nl = '\0';
		if (memcg_kmsg_is_oom(semi + 1, pid)) {
			found = true;
			break;
		}
	}
	close(fd);
	return found;
}

/*
 * How much of the kernel log's end is read. The OOM killer prints its report, then kills,
 * and the daemon reaps the victim milliseconds later: its lines are at the very end. One
 * klogctl() call for the tail costs ~0.1 ms; walking /dev/kmsg from its first record costs
 * a read() per record (2,500 records: ~40 ms on a VM), and it ran at every SIGKILL before
 * the restart when there is no memory cgroup.
 */
#define MEMCG_KLOG_TAIL (64 * 1024)

/* 1 found, 0 not found, -1 when the log cannot be read or carries no timestamps. */
static int memcg_klog_scan(pid_t pid, time_t since)
{
	char *buf = malloc(MEMCG_KLOG_TAIL + 1);
	if (buf == NULL)
		return -1;
	int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL: the last len bytes */, buf, MEMCG_KLOG_TAIL);
	int found = n > 0 ? 0 : -1;
	bool stamped = false;
	if (n > 0) {
		buf[n] = '\0';
		long long from = since > 0 ? memcg_boot_usec(since) - 2000000 : 0;
		for (char *line = buf; line != NULL && *line != '\0';) {
			char *nl = strchr(line, '\n');
			if (nl != NULL)
				*nl = '\0';
			/* "<6>[  123.456789] message" when printk.time is on */
			const char *ts = strchr(line, '[');
			double sec;
			bool recent = true;
			if (ts != NULL && ts - line <= 4 && sscanf(ts + 1, "%lf", &sec) == 1) {
				recent = (long long)(sec * 1e6) >= from;
				stamped = true;
			}
			if (recent && memcg_kmsg_is_oom(line, pid)) {
				found = 1;
				break;
			}
			line = nl ? nl + 1 : NULL;
		}
		if (found == 0 && !stamped)
			found = -1; /* printk.time off: cannot tell old records from new ones */
	}
	free(buf);
	return found;
}

bool memcg_kernel_log_oom(pid_t pid, time_t since)
{
	int r = memcg_klog_scan(pid, since);
	if (r >= 0)
		return r == 1;
	if (access("/dev/kmsg", R_OK) == 0)
		return memcg_kmsg_scan(pid, since);
	return false;
}
