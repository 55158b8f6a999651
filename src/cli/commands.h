/*
 * What each command file exports to the command table (cli/commands.c): its main,
 * its usage text and its flag table. One block per command file.
 */
#ifndef CAIRN_CLI_COMMANDS_H
#define CAIRN_CLI_COMMANDS_H

#include "cli/flags.h"

/* cli/version.c */
int version_main(int argc, char **argv);
extern const char version_usage[];
extern const struct flag_def version_flags[];

/* cli/watch.c */
int watch_main(int argc, char **argv);
extern const char watch_usage[];
extern const struct flag_def watch_flags[];

/* cli/info.c */
int info_main(int argc, char **argv);
extern const char info_usage[];
extern const struct flag_def info_flags[];

/* cli/snapshot.c: the "snapshot" group, save and inspect */
extern const char snapshot_usage[];
int snapshot_save_main(int argc, char **argv);
extern const char snapshot_save_usage[];
extern const struct flag_def snapshot_save_flags[];
int snapshot_inspect_main(int argc, char **argv);
extern const char snapshot_inspect_usage[];
extern const struct flag_def snapshot_inspect_flags[];

/* cli/monitor.c */
int monitor_main(int argc, char **argv);
extern const char monitor_usage[];
extern const struct flag_def monitor_flags[];

/* cli/keygen.c */
int keygen_main(int argc, char **argv);
extern const char keygen_usage[];
extern const struct flag_def keygen_flags[];

/* cli/kv.c: the "kv" group */
extern const char kv_usage[];

/* cli/kv_get.c */
int kv_get_main(int argc, char **argv);
extern const char kv_get_usage[];
extern const struct flag_def kv_get_flags[];

/* cli/kv_put.c */
int kv_put_main(int argc, char **argv);
extern const char kv_put_usage[];
extern const struct flag_def kv_put_flags[];

/* cli/kv_delete.c */
int kv_delete_main(int argc, char **argv);
extern const char kv_delete_usage[];
extern const struct flag_def kv_delete_flags[];

/* cli/kv_export.c */
int kv_export_main(int argc, char **argv);
extern const char kv_export_usage[];
extern const struct flag_def kv_export_flags[];

/* cli/kv_import.c */
int kv_import_main(int argc, char **argv);
extern const char kv_import_usage[];
extern const struct flag_def kv_import_flags[];

/* cli/lock.c */
int lock_main(int argc, char **argv);
extern const char lock_usage[];
extern const struct flag_def lock_flags[];
#endif
