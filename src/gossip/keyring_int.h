/* Private to keyring*.c: the one error helper of the keyring's three files. */
#ifndef CAIRN_GOSSIP_KEYRING_INT_H
#define CAIRN_GOSSIP_KEYRING_INT_H

#include "gossip/keyring.h"

/* Formats the message into err (KEYRING_ERR_MAX bytes; err may be NULL) and
 * returns code. */
int keyring_fail(char *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
