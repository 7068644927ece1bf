/* Unit tests for the command lines of agents' replies. */
#include "ticketgate/command.h"
#include "ticketgate/pool.h"
#include "ticketgate/util.h"
#include "tg-test.h"

#include <string.h>

int
main(void)
{
	struct tg_pool *pool = tg_pool_new(4096);
	struct tg_commands c;

	tg_commands_parse(pool, "#status solved\n#Priority HIGH\n"
				"#assign Ana@Example.com\n#tag billing\n\n"
				"Fixed in 2.1.\n#status open stays text\n",
			  &c);
	TG_CHECK(c.errors == NULL);
	TG_CHECK_STREQ(c.status, "solved");
	TG_CHECK_STREQ(c.priority, "high");
	TG_CHECK_STREQ(c.assign, "ana@example.com");
	TG_CHECK(c.n_tags == 1 && strcmp(c.tags[0], "billing") == 0);
	TG_CHECK(!c.note);
	TG_CHECK_STREQ(c.rest, "Fixed in 2.1.\n#status open stays text\n");

	/* a note, CRLF lines, leading blanks */
	tg_commands_parse(pool, "\r\n  #note\r\nFor the team only.\r\n", &c);
	TG_CHECK(c.errors == NULL && c.note);
	TG_CHECK_STREQ(c.rest, "For the team only.\r\n");

	/* one bad command: errors named by line; the caller applies none */
	tg_commands_parse(pool, "#status solved\n#stauts open\n#priority "
				"whenever\n#assign not an address\nHi\n",
			  &c);
	TG_CHECK_STREQ(c.errors, "line 2: unknown command #stauts\n"
				 "line 3: bad argument for #priority\n"
				 "line 4: bad argument for #assign\n");
	TG_CHECK_STREQ(c.rest, "Hi\n");

	/* no commands: the text is untouched; "#1 item" is not a command */
	tg_commands_parse(pool, "#1 is the issue\n", &c);
	TG_CHECK(c.errors == NULL && c.n == 0);
	TG_CHECK_STREQ(c.rest, "#1 is the issue\n");
	tg_commands_parse(pool, "", &c);
	TG_CHECK(c.errors == NULL && c.n == 0 && strcmp(c.rest, "") == 0);

	/* too many */
	{
		char many[2048] = "";

		for (int i = 0; i < TG_COMMAND_MAX + 2; i++)
			strcat(many, "#tag x\n");
		tg_commands_parse(pool, many, &c);
		TG_CHECK(c.errors != NULL &&
			 strstr(c.errors, "too many commands") != NULL);
	}
	tg_pool_free(&pool);
	return tg_test_done();
}
