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
int snapshot_restore_main(int argc, char **argv);
extern const char snapshot_restore_usage[];
extern const struct flag_def snapshot_restore_flags[];
/* cli/operator.c: the "operator" and "operator raft" groups */
extern const char operator_usage[];
extern const char operator_raft_usage[];
int operator_raft_list_peers_main(int argc, char **argv);
extern const char operator_raft_list_peers_usage[];
extern const struct flag_def operator_raft_list_peers_flags[];
int operator_raft_remove_peer_main(int argc, char **argv);
extern const char operator_raft_remove_peer_usage[];
extern const struct flag_def operator_raft_remove_peer_flags[];
int operator_raft_transfer_leader_main(int argc, char **argv);
extern const char operator_raft_transfer_leader_usage[];
extern const struct flag_def operator_raft_transfer_leader_flags[];
/* cli/operator_autopilot.c: the "operator autopilot" group */
extern const char operator_autopilot_usage[];
int operator_autopilot_get_config_main(int argc, char **argv);
extern const char operator_autopilot_get_config_usage[];
extern const struct flag_def operator_autopilot_get_config_flags[];
int operator_autopilot_set_config_main(int argc, char **argv);
extern const char operator_autopilot_set_config_usage[];
extern const struct flag_def operator_autopilot_set_config_flags[];
int operator_autopilot_state_main(int argc, char **argv);
extern const char operator_autopilot_state_usage[];
extern const struct flag_def operator_autopilot_state_flags[];

/* cli/monitor.c */
int monitor_main(int argc, char **argv);
extern const char monitor_usage[];
extern const struct flag_def monitor_flags[];

/* cli/keygen.c */
int keygen_main(int argc, char **argv);
extern const char keygen_usage[];
extern const struct flag_def keygen_flags[];

/* cli/keyring.c */
int keyring_main(int argc, char **argv);
extern const char keyring_usage[];
extern const struct flag_def keyring_flags[];

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

/* cli/tls_ca_create.c (the "tls" and "tls ca" groups: cli/tls.h) */
int tls_ca_create_main(int argc, char **argv);
extern const char tls_ca_create_usage[];
extern const struct flag_def tls_ca_create_flags[];

/* cli/tls_cert_create.c (the "tls cert" group: cli/tls.h) */
int tls_cert_create_main(int argc, char **argv);
extern const char tls_cert_create_usage[];
extern const struct flag_def tls_cert_create_flags[];

/* cli/members.c */
int members_main(int argc, char **argv);
extern const char members_usage[];
extern const struct flag_def members_flags[];

/* cli/membership.c: join, leave, force-leave */
int join_main(int argc, char **argv);
extern const char join_usage[];
extern const struct flag_def join_flags[];
int leave_main(int argc, char **argv);
extern const char leave_usage[];
extern const struct flag_def leave_flags[];
int force_leave_main(int argc, char **argv);
extern const char force_leave_usage[];
extern const struct flag_def force_leave_flags[];

/* cli/event.c */
int event_main(int argc, char **argv);
extern const char event_usage[];
extern const struct flag_def event_flags[];

/* cli/debug.c (its parts: cli/debug.h) */
int debug_main(int argc, char **argv);
extern const char debug_usage[];
extern const struct flag_def debug_flags[];

/* cli/rtt.c */
int rtt_main(int argc, char **argv);
extern const char rtt_usage[];
extern const struct flag_def rtt_flags[];

/* cli/exec.c (the protocol: cli/exec.h, cli/exec_job.c) */
int exec_main(int argc, char **argv);
extern const char exec_usage[];
extern const struct flag_def exec_flags[];
#endif
