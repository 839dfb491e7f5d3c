#ifndef CTESTSUPPORT_H
#define CTESTSUPPORT_H
#include <spawn.h>

/// glibc's posix_spawn_file_actions_addclosefrom_np, which Swift cannot see (it needs _GNU_SOURCE).
int ctestsupport_spawn_closefrom(posix_spawn_file_actions_t *actions, int from);

#endif
