/* `ticketgate deliver` in the front binary: when the configuration names
 * an LMTP socket and the address is one of ours, the message goes to the
 * running daemon, which answers only after its commit. Everything else
 * (no socket, --direct and the options the daemon cannot be told, an
 * unknown address, an oversized message, nobody answering) passes to the
 * full program, which stores the message itself. A message already read
 * from stdin goes along in a memory file. Reads untrusted input. */
#define _GNU_SOURCE /* memfd_create */
#include "cmd.h"
#include "deliver.h"
#include "front.h"
#include "ticketgate/config.h"
#include "ticketgate/fdio.h"
#include "ticketgate/lmtp.h"
#include "ticketgate/pipeline.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* An envelope address fit for "<...>" on one command line; anything else
 * is sent as the null sender (the pipeline reads the header's From). */
static const char *
lmtp_sender(const char *from)
{
	if (from == NULL || strlen(from) > 256 ||
	    strpbrk(from, "<> \t\r\n") != NULL)
		return "";
	return from;
}

/* Puts the message (what was read, and the rest of stdin when it was cut
 * short at the size limit) in a memory file that becomes stdin, so the
 * full program reads what we read. The rest stops one byte past
 * TG_PIPELINE_KEEP_MAX: enough for the full program to refuse it. */
static int
stdin_from_memory(struct tg_buf *raw, bool cut_short)
{
	/* not close-on-exec: it may be descriptor 0 itself, when the MTA
	 * gave no stdin; otherwise it is closed once it is stdin */
	int fd = memfd_create("ticketgate-deliver", 0);
	char chunk[65536];
	size_t total = raw->len, n;

	if (fd < 0)
		return -1;
	if (tg_fd_write_all(fd, raw->data, raw->len) < 0)
		goto fail;
	while (cut_short && total <= TG_PIPELINE_KEEP_MAX &&
	       (n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
		if (tg_fd_write_all(fd, chunk, n) < 0)
			goto fail;
		total += n;
	}
	if (ferror(stdin) || lseek(fd, 0, SEEK_SET) < 0)
		goto fail;
	if (fd != STDIN_FILENO) {
		if (dup2(fd, STDIN_FILENO) < 0)
			goto fail;
		close(fd);
	}
	return 0;
fail:
	close(fd);
	return -1;
}

/* The message goes to the full program: from the same file, or from
 * memory when it came on stdin. Returns only on failure. */
static int
pass_on(char **argv, const struct tg_deliver_args *a, struct tg_buf *raw,
	bool cut_short)
{
	if (a->file == NULL && stdin_from_memory(raw, cut_short) < 0) {
		fprintf(stderr, "deliver: cannot pass the message on: %s\n",
			strerror(errno));
		return TG_EX_TEMPFAIL;
	}
	/* the full program must not try the socket again */
	tg_front_exec(argv, "--direct");
	return TG_EX_TEMPFAIL;
}

static int
hand_over(char **argv, const struct tg_deliver_args *a,
	  const struct tg_config *cfg)
{
	const struct tg_config_lmtp *lc = cfg->lmtp;
	size_t max = cfg->limits.message_bytes;
	FILE *f = a->file == NULL ? stdin : fopen(a->file, "rbe");
	struct tg_buf raw;
	char reply[300];
	int status;

	if (f == NULL) /* the full program says why */
		return pass_on(argv, a, NULL, false);
	tg_buf_init(&raw, 64 * 1024, max + 1);
	if (tg_deliver_read_all(f, max, &raw) < 0) {
		fprintf(stderr, "deliver: %s: %s\n", a->file ? a->file : "stdin",
			strerror(errno));
		status = TG_EX_TEMPFAIL; /* a read error may pass */
		goto out;
	}
	/* oversized: quarantined by the full program, not sent over */
	if (raw.len > max) {
		status = pass_on(argv, a, &raw, true);
		goto out;
	}
	switch (tg_lmtp_send(lc->socket, lmtp_sender(a->from), a->to,
			     tg_buf_cstr(&raw), raw.len,
			     (int)lc->timeout_seconds, reply, sizeof(reply))) {
	case TG_LMTP_SENT:
		fprintf(stderr, "deliver: handed over by lmtp: %s\n", reply);
		status = TG_EX_OK;
		break;
	case TG_LMTP_UNAVAILABLE:
		fprintf(stderr,
			"deliver: %s: %s; storing the message directly\n",
			lc->socket, reply);
		status = pass_on(argv, a, &raw, false);
		break;
	case TG_LMTP_NO_SUCH_USER:
		fprintf(stderr, "deliver: refused by lmtp: %s\n", reply);
		status = TG_EX_NOUSER;
		break;
	case TG_LMTP_TEMPFAIL:
	case TG_LMTP_REFUSED:
	default:
		/* never lost: the MTA keeps it and tries again */
		fprintf(stderr, "deliver: lmtp: %s\n", reply);
		status = TG_EX_TEMPFAIL;
		break;
	}
out:
	if (f != stdin)
		fclose(f);
	tg_buf_deinit(&raw);
	return status;
}

int
tg_front_deliver(int argc, char **argv)
{
	struct tg_deliver_args a;
	struct tg_config *cfg = NULL;
	int status;

	if (tg_deliver_parse_args(argc - 1, argv + 1, &a) < 0) {
		tg_deliver_usage();
		return TG_EX_USAGE;
	}
	/* what only the direct path does: nothing read yet, so the full
	 * program gets stdin as it is */
	if (a.direct || a.department != NULL || a.secret_file != NULL ||
	    a.conninfo_given || a.config == NULL) {
		tg_front_exec(argv, NULL);
		return TG_EX_TEMPFAIL;
	}
	/* a broken config is fixed by the admin: the mail waits at the MTA
	 * meanwhile. The secrets are the daemon's business: the MTA's user
	 * needs only the socket. */
	if (tg_cmd_load_config_without_secrets("deliver", a.config, &cfg) < 0)
		return TG_EX_TEMPFAIL;
	if (cfg->lmtp == NULL || !tg_lmtp_recipient_known(cfg, a.to)) {
		tg_config_free(&cfg);
		tg_front_exec(argv, NULL);
		return TG_EX_TEMPFAIL;
	}
	status = hand_over(argv, &a, cfg);
	tg_config_free(&cfg);
	return status;
}
