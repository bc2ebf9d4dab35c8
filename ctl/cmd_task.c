/*
 * cmd_task.c — placeholder: the task commands ("task ...", "recurring ...",
 * "check ...") land here with the task engine. Until then the table is empty.
 */
#include "ctl.h"

const struct ctl_cmd task_cmds[] = {
	{ NULL, NULL, NULL, NULL, NULL },
};
