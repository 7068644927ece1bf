/* The LMTP listener's group ("lmtp"): where its Unix socket is, who may
 * connect (the socket's mode), how many connections at once, and when an
 * idle one is closed. Only checked here; serve-lmtp.c listens. */
#include "config-private.h"
#include "ticketgate/util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

/* sun_path holds the path and its NUL. */
#define SOCKET_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

/* "0660": three or four octal digits, nothing beyond 0777 (no set-id or
 * sticky bits, which mean nothing on a socket). */
static const char *
check_mode(const char *v)
{
	size_t n = strlen(v);

	if ((n != 3 && n != 4) || strspn(v, "01234567") != n ||
	    (n == 4 && v[0] != '0'))
		return "want an octal mode such as \"0660\"";
	return NULL;
}

struct lmtp_in {
	struct tg_config_lmtp l;
	const char *mode;
};

enum {
	L_SOCKET,
	L_MODE,
	L_MAX_CONNECTIONS,
	L_TIMEOUT,
	L_COUNT
};

/* clang-format off */
static const struct cfg_key lmtp_keys[L_COUNT] = {
	/*                                   name  min max  default */
	[L_SOCKET] = CFG_ROW_STR("socket",     1, 4096, NULL,
				 struct lmtp_in, l.socket, NULL),
	[L_MODE] = CFG_ROW_STR("socket_mode",  3, 4,    "0660",
			       struct lmtp_in, mode, check_mode),
	[L_MAX_CONNECTIONS] = CFG_ROW_INT("max_connections", 1, 1024, "16",
					  struct lmtp_in, l.max_connections),
	[L_TIMEOUT] = CFG_ROW_INT("timeout_seconds", 1, 86400, "300",
				  struct lmtp_in, l.timeout_seconds),
};
/* clang-format on */

void
cfg_load_lmtp(struct cfg_ctx *c, const config_setting_t *g)
{
	const config_setting_t *found[L_COUNT];
	struct tg_config_lmtp *l;
	struct lmtp_in in;

	if (g == NULL)
		return;
	memset(&in, 0, sizeof(in));
	/* a bad key leaves its field NULL or 0: check the others anyway */
	cfg_apply_keys(c, g, "lmtp", lmtp_keys, L_COUNT, &in, found);
	l = tg_pool_alloc(c->pool, sizeof(*l));
	*l = in.l;
	l->line = cfg_line(g);
	/* a bad mode was reported; the default stands in for it */
	l->socket_mode =
		(unsigned)strtoul(in.mode != NULL ? in.mode : "0660", NULL, 8);
	if (l->socket != NULL) {
		l->socket = cfg_resolve_path(c, found[L_SOCKET], l->socket);
		if (strlen(l->socket) > SOCKET_PATH_MAX)
			cfg_error(c, found[L_SOCKET],
				  "lmtp.socket \"%s\": longer than %zu bytes, "
				  "the limit of a Unix socket's path",
				  l->socket, SOCKET_PATH_MAX);
	}
	c->impl->pub.lmtp = l;
}
